"""`jike smsc-sim`: an SMSC simulator, the test environment the operator never had.

Configurable response latency, window, error and throttling rates, receipt delay and outcome.
It records what it received (in memory, optionally as JSON lines) so tests can check
exactly-once delivery, and it re-sends receipts that were not acknowledged when a bind drops
(as a real SMSC does), so a gateway crash loses no receipt.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import IO, Any

from jike.gateway import pdu
from jike.gateway.session import SmppSession

log = logging.getLogger("jike.gateway.simulator")


@dataclass(slots=True)
class SimConfig:
    host: str = "127.0.0.1"
    port: int = 2776
    users: dict[str, str] = field(default_factory=dict)  # system_id -> password; empty = any
    latency_ms: float = 0.0
    window: int = 0  # max unanswered submit_sm per bind before ESME_RTHROTTLED; 0 = unlimited
    error_rate: float = 0.0
    error_status: int = pdu.ESME_RSYSERR
    throttle_rate: float = 0.0  # probability of answering ESME_RTHROTTLED
    max_tps: float = 0.0  # sliding one-second limit per simulator; 0 = unlimited
    throttle_hold_ms: float = 0.0  # once throttled, keep throttling this long
    receipt_delay_ms: float = 0.0
    undeliv_rate: float = 0.0
    receipts: bool = True
    record: bool = True
    record_file: str = ""
    seed: int | None = None


@dataclass(slots=True)
class Received:
    smsc_id: str
    source: str
    destination: str
    data: bytes
    data_coding: int
    esm_class: int
    priority: int
    conn: int
    at: float

    def as_json(self) -> dict[str, Any]:
        return {
            "smsc_id": self.smsc_id,
            "source": self.source,
            "destination": self.destination,
            "data": self.data.hex(),
            "data_coding": self.data_coding,
            "esm_class": self.esm_class,
            "priority": self.priority,
            "conn": self.conn,
            "at": self.at,
        }


class SimSession(SmppSession):
    name = "smsc"

    def __init__(self, sim: Simulator, conn_id: int) -> None:
        super().__init__()
        self.sim = sim
        self.conn_id = conn_id
        self.system_id = ""
        self.bound = False
        self.unanswered = 0
        self.inflight: dict[int, bytes] = {}

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.sim.session_lost(self)

    def handle(self, cid: int, status: int, seq: int, body: bytes) -> None:
        sim = self.sim
        if cid == pdu.SUBMIT_SM:
            if not self.bound:
                self.respond(pdu.SUBMIT_SM_RESP, pdu.ESME_RINVBNDSTS, seq)
                return
            sim.submit(self, seq, body)
        elif cid == pdu.DELIVER_SM_RESP:
            item = self.inflight.pop(seq, None)
            if item is not None:
                if status == pdu.ESME_ROK:
                    sim.receipts_acked += 1
                else:
                    sim.queue_deliver(self.system_id, item, delay=0.2)
        elif cid in pdu.BIND_COMMANDS:
            bind = pdu.decode_bind(body)
            users = sim.config.users
            if users and users.get(bind.system_id) != bind.password:
                self.respond(cid | pdu.RESP_BIT, pdu.ESME_RINVPASWD, seq)
                return
            self.system_id = bind.system_id
            self.bound = True
            self.respond(cid | pdu.RESP_BIT, pdu.ESME_ROK, seq, pdu.cstr("SMSCSIM"))
            sim.session_bound(self)
        elif cid == pdu.UNBIND:
            self.respond(pdu.UNBIND_RESP, pdu.ESME_ROK, seq)
            self.close()
        else:
            self.handle_common(cid, status, seq, body)


class Simulator:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.server: asyncio.Server | None = None
        self.sessions: dict[str, list[SimSession]] = {}
        self.received: list[Received] = []
        self.pending: dict[str, deque[bytes]] = {}
        self._conn_seq = 0
        self._id = 0
        self._window: deque[float] = deque()
        self._hold_until = 0.0
        self._record: IO[str] | None = open(config.record_file, "a") if config.record_file else None  # noqa: SIM115
        self.submits = 0
        self.accepted = 0
        self.throttled = 0
        self.errors = 0
        self.receipts_sent = 0
        self.receipts_acked = 0

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        c = self.config
        self.server = await loop.create_server(self._factory, c.host, c.port, reuse_address=True)
        return self.port

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    def _factory(self) -> SimSession:
        self._conn_seq += 1
        return SimSession(self, self._conn_seq)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for group in self.sessions.values():
            for s in list(group):
                s.abort()
        if self.server is not None:
            await self.server.wait_closed()
        if self._record is not None:
            self._record.close()

    def drop_connections(self) -> None:
        for group in list(self.sessions.values()):
            for s in list(group):
                s.abort()

    # --- binds ---------------------------------------------------------------------------------

    def session_bound(self, s: SimSession) -> None:
        self.sessions.setdefault(s.system_id, []).append(s)
        self._drain(s.system_id)

    def session_lost(self, s: SimSession) -> None:
        group = self.sessions.get(s.system_id)
        if group and s in group:
            group.remove(s)
        for item in s.inflight.values():
            self.pending.setdefault(s.system_id, deque()).append(item)
        s.inflight.clear()

    # --- submit_sm -----------------------------------------------------------------------------

    def _throttle(self, now: float) -> bool:
        c = self.config
        if self._hold_until > now:
            return True
        throttled = False
        if c.throttle_rate and self.rng.random() < c.throttle_rate:
            throttled = True
        elif c.max_tps:
            win = self._window
            while win and win[0] <= now - 1.0:
                win.popleft()
            if len(win) >= c.max_tps:
                throttled = True
            else:
                win.append(now)
        if throttled and c.throttle_hold_ms:
            self._hold_until = now + c.throttle_hold_ms / 1000.0
        return throttled

    def submit(self, s: SimSession, seq: int, body: bytes) -> None:
        c = self.config
        self.submits += 1
        now = time.monotonic()
        status = pdu.ESME_ROK
        if (c.window and s.unanswered >= c.window) or self._throttle(now):
            status = pdu.ESME_RTHROTTLED
            self.throttled += 1
        elif c.error_rate and self.rng.random() < c.error_rate:
            status = c.error_status
            self.errors += 1
        if status != pdu.ESME_ROK:
            self._answer(s, seq, status, b"", None)
            return
        sm = pdu.decode_sm(body)
        self._id += 1
        smsc_id = format(self._id, "08X")
        self.accepted += 1
        if c.record or self._record is not None:
            rec = Received(
                smsc_id,
                sm.source_addr,
                sm.destination_addr,
                sm.short_message or sm.tlvs.get(pdu.TAG_MESSAGE_PAYLOAD, b""),
                sm.data_coding,
                sm.esm_class,
                sm.priority_flag,
                s.conn_id,
                time.time(),
            )
            if c.record:
                self.received.append(rec)
            if self._record is not None:
                self._record.write(json.dumps(rec.as_json()) + "\n")
                self._record.flush()
        receipt = None
        if c.receipts and sm.registered_delivery & 0x03:
            stat = "UNDELIV" if c.undeliv_rate and self.rng.random() < c.undeliv_rate else "DELIVRD"
            receipt = (s.system_id, sm, smsc_id, stat)
        self._answer(s, seq, pdu.ESME_ROK, smsc_id.encode() + b"\0", receipt)

    def _answer(
        self, s: SimSession, seq: int, status: int, body: bytes, receipt: tuple[str, Any, str, str] | None
    ) -> None:
        delay = self.config.latency_ms / 1000.0
        if delay <= 0:
            s.respond(pdu.SUBMIT_SM_RESP, status, seq, body)
            if receipt is not None:
                self._schedule_receipt(receipt)
            return
        s.unanswered += 1

        def later() -> None:
            s.unanswered -= 1
            s.respond(pdu.SUBMIT_SM_RESP, status, seq, body)
            if receipt is not None:
                self._schedule_receipt(receipt)

        asyncio.get_running_loop().call_later(delay, later)

    # --- receipts and MO -----------------------------------------------------------------------

    def _schedule_receipt(self, receipt: tuple[str, Any, str, str]) -> None:
        system_id, sm, smsc_id, stat = receipt
        now = time.time()
        stamp = time.strftime("%y%m%d%H%M", time.gmtime(now + 8 * 3600))
        rsm = pdu.ShortMessage(
            source_addr=sm.destination_addr,
            destination_addr=sm.source_addr,
            esm_class=pdu.ESM_RECEIPT,
            short_message=pdu.receipt_text(smsc_id, stat, 0 if stat == "DELIVRD" else 1, stamp, stamp),
            tlvs={
                pdu.TAG_RECEIPTED_MESSAGE_ID: smsc_id.encode() + b"\0",
                pdu.TAG_MESSAGE_STATE: bytes((pdu.MESSAGE_STATES[stat],)),
            },
        )
        self.queue_deliver(system_id, pdu.encode_sm(rsm), delay=self.config.receipt_delay_ms / 1000.0)

    def inject_mo(self, system_id: str, source: str, destination: str, text: bytes, data_coding: int) -> None:
        sm = pdu.ShortMessage(
            source_addr=source, destination_addr=destination, short_message=text, data_coding=data_coding
        )
        self.queue_deliver(system_id, pdu.encode_sm(sm))

    def queue_deliver(self, system_id: str, body: bytes, delay: float = 0.0) -> None:
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self.queue_deliver, system_id, body, 0.0)
            return
        self.pending.setdefault(system_id, deque()).append(body)
        self._drain(system_id)

    def _drain(self, system_id: str) -> None:
        q = self.pending.get(system_id)
        group = [s for s in self.sessions.get(system_id, []) if s.bound and not s.closed]
        if not q or not group:
            return
        i = 0
        while q:
            s = group[i % len(group)]
            i += 1
            body = q.popleft()
            seq = s.next_seq()
            s.inflight[seq] = body
            s.send(pdu.HEADER.pack(16 + len(body), pdu.DELIVER_SM, 0, seq) + body)
            self.receipts_sent += 1

    def stats(self) -> dict[str, int]:
        return {
            "submits": self.submits,
            "accepted": self.accepted,
            "throttled": self.throttled,
            "errors": self.errors,
            "receipts_sent": self.receipts_sent,
            "receipts_acked": self.receipts_acked,
            "pending_receipts": sum(len(q) for q in self.pending.values()),
        }
