"""The SMPP session base: an asyncio Protocol with framing, coalesced writes and keep-alive.

Writes are collected during one event-loop iteration and handed to the transport as one
buffer; this matters more for throughput than anything else in the codec.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from mypy_extensions import mypyc_attr

from jike.gateway import pdu

log = logging.getLogger("jike.gateway.session")


# the SMSC simulator's session (simulator.py, never compiled) subclasses this one
@mypyc_attr(allow_interpreted_subclasses=True)
class SmppSession(asyncio.Protocol):
    """Shared machinery of the north (server) and south (client) sessions."""

    name = "session"

    def __init__(self) -> None:
        # Any, not asyncio.Transport: uvloop's transports are not its subclasses, and the compiled
        # build (jike/gateway/native.py) checks declared types at run time
        self.transport: Any = None
        self.reader = pdu.FrameReader()
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._seq = 0
        self.closed = False
        self.write_paused = False
        self.peer = ""
        self.last_rx = time.monotonic()
        self.loop = asyncio.get_event_loop()

    # --- plumbing ------------------------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if peer else ""
        self.loop = asyncio.get_running_loop()
        self.transport.set_write_buffer_limits(high=4 * 1024 * 1024)

    def next_seq(self) -> int:
        self._seq = self._seq + 1 if self._seq < 0x7FFFFFFF else 1
        return self._seq

    def send(self, data: bytes) -> None:
        if self.closed:
            return
        self._out.append(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._out and self.transport is not None and not self.closed:
            data = b"".join(self._out) if len(self._out) > 1 else self._out[0]
            self._out = []
            self.transport.write(data)

    def respond(self, command_id: int, status: int, seq: int, body: bytes = b"") -> None:
        self.send(pdu.HEADER.pack(16 + len(body), command_id, status, seq) + body)

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self._flush()
            self.closed = True
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.closed = True
            self.transport.abort()

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self.on_writable()

    def on_writable(self) -> None:
        """Called when the transport drained below its low-water mark."""

    def data_received(self, data: bytes) -> None:
        self.last_rx = time.monotonic()
        try:
            frames = self.reader.feed(data)
        except pdu.PDUError as exc:
            log.warning("framing error, closing", extra={"peer": self.peer, "error": str(exc)})
            self.respond(pdu.GENERIC_NACK, exc.status, 0)
            self.close()
            return
        handle = self.handle
        for cid, status, seq, body in frames:
            if self.closed:
                break
            try:
                handle(cid, status, seq, body)
            except pdu.PDUError as exc:
                if cid & pdu.RESP_BIT:
                    log.warning("bad response PDU", extra={"peer": self.peer, "error": str(exc)})
                else:
                    self.respond(cid | pdu.RESP_BIT, exc.status, seq)

    def handle(self, cid: int, status: int, seq: int, body: bytes) -> None:
        raise NotImplementedError

    def handle_common(self, cid: int, status: int, seq: int, body: bytes) -> None:
        """enquire_link, generic_nack and unknown commands."""
        if cid == pdu.ENQUIRE_LINK:
            self.respond(pdu.ENQUIRE_LINK_RESP, pdu.ESME_ROK, seq)
        elif cid == pdu.ENQUIRE_LINK_RESP or cid == pdu.GENERIC_NACK:
            pass
        elif cid & pdu.RESP_BIT:
            log.debug("unexpected response", extra={"command": pdu.command_name(cid)})
        else:
            self.respond(pdu.GENERIC_NACK, pdu.ESME_RINVCMDID, seq)
