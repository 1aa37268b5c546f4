"""North side: the SMPP 3.4 server session for enterprise applications (ESMEs)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from jike.gateway import pdu
from jike.gateway.message import Message
from jike.gateway.session import SmppSession

if TYPE_CHECKING:
    from jike.gateway.core import Gateway

log = logging.getLogger("jike.gateway.north")

OPEN, BOUND_TX, BOUND_RX, BOUND_TRX = "open", "bound_tx", "bound_rx", "bound_trx"
_BIND_STATE = {
    pdu.BIND_TRANSMITTER: BOUND_TX,
    pdu.BIND_RECEIVER: BOUND_RX,
    pdu.BIND_TRANSCEIVER: BOUND_TRX,
}
RETRY_LATER = frozenset({0x64, pdu.ESME_RTHROTTLED, pdu.ESME_RMSGQFUL})  # ESME_RX_T_APPN


class EsmeSession(SmppSession):
    name = "esme"

    def __init__(self, gateway: Gateway) -> None:
        super().__init__()
        self.gateway = gateway
        self.state = OPEN
        self.system_id = ""
        self.inflight: dict[int, Message] = {}
        self.window = gateway.settings.esme_window

    @property
    def can_transmit(self) -> bool:
        return self.state in (BOUND_TX, BOUND_TRX)

    @property
    def can_receive(self) -> bool:
        return self.state in (BOUND_RX, BOUND_TRX)

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.gateway.sessions.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.gateway.session_closed(self)

    def handle(self, cid: int, status: int, seq: int, body: bytes) -> None:
        if cid == pdu.SUBMIT_SM:
            if self.state is OPEN or self.state == BOUND_RX:
                self.respond(pdu.SUBMIT_SM_RESP, pdu.ESME_RINVBNDSTS, seq)
                return
            self.gateway.submit(self, seq, body)
        elif cid == pdu.DELIVER_SM_RESP:
            msg = self.inflight.pop(seq, None)
            if msg is not None:
                self.gateway.esme_delivered(self, msg, status)
        elif cid in _BIND_STATE:
            if self.state != OPEN:
                self.respond(cid | pdu.RESP_BIT, pdu.ESME_RALYBND, seq)
                return
            bind = pdu.decode_bind(body)
            result = self.gateway.authenticate(self, bind)
            if result == pdu.ESME_ROK:
                self.system_id = bind.system_id
                self.state = _BIND_STATE[cid]
                self.respond(cid | pdu.RESP_BIT, pdu.ESME_ROK, seq, pdu.cstr("JIKE"))
                self.gateway.session_bound(self)
            else:
                self.respond(cid | pdu.RESP_BIT, result, seq)
        elif cid == pdu.UNBIND:
            self.respond(pdu.UNBIND_RESP, pdu.ESME_ROK, seq)
            self.gateway.session_closed(self)
            self.state = OPEN
            self.close()
        elif cid == pdu.UNBIND_RESP:
            self.close()
        elif cid == pdu.GENERIC_NACK and seq in self.inflight:
            msg = self.inflight.pop(seq)
            self.gateway.esme_delivered(self, msg, status or pdu.ESME_RSYSERR)
        else:
            if self.state is OPEN and cid in (pdu.ENQUIRE_LINK, pdu.QUERY_SM):
                # enquire_link is allowed in the open state; everything else needs a bind
                pass
            self.handle_common(cid, status, seq, body)

    def deliver(self, msg: Message, body: bytes) -> None:
        seq = self.next_seq()
        self.inflight[seq] = msg
        self.send(pdu.HEADER.pack(16 + len(body), pdu.DELIVER_SM, 0, seq) + body)

    def on_writable(self) -> None:
        if self.system_id:
            self.gateway.pump_outbox(self.system_id)
