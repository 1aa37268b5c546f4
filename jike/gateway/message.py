"""The in-memory message record and the message id generator."""

from __future__ import annotations

import time
from typing import Any

MT, MO = "MT", "MO"


class Message:
    """One accepted message (MT from an enterprise, or MO to one) until it is finished.

    A message is finished when it has a final status, its receipt (or MO) reached the
    enterprise if one was wanted, and its CDR is written.
    """

    __slots__ = (
        "body",
        "cdr_done",
        "concat",
        "conn_idx",
        "connector",
        "connectors",
        "content_class",
        "delivered",
        "dst",
        "enterprise",
        "err",
        "held",
        "hid",
        "id",
        "kind",
        "okey",
        "priority",
        "product",
        "queue",
        "reason",
        "retries",
        "seg",
        "segments",
        "smsc_id",
        "src",
        "status",
        "system_id",
        "t_accept",
        "t_done",
        "t_mono",
        "t_submit",
        "want_receipt",
    )

    def __init__(
        self,
        mid: int,
        kind: str,
        system_id: str,
        enterprise: str,
        product: str,
        content_class: str,
        src: str,
        dst: str,
        body: bytes,
        queue: int,
        want_receipt: bool,
        segments: int,
        connectors: tuple[str, ...],
        t_accept: float,
        concat: tuple[int, int, int] | None = None,
        priority: int = 0,
        held: bool = False,
    ) -> None:
        self.id = mid
        self.hid = format(mid, "x")  # the id the enterprise sees (submit_sm_resp, receipts, CDRs)
        self.kind = kind
        self.system_id = system_id
        self.enterprise = enterprise
        self.product = product
        self.content_class = content_class
        self.src = src
        self.dst = dst
        self.body = body
        self.queue = queue
        self.want_receipt = want_receipt
        self.segments = segments
        self.connectors = connectors
        self.t_accept = t_accept
        self.concat = concat
        self.priority = priority
        # a part held for the policy on the whole concatenated text (concat.py) until released
        self.held = held
        self.reason = ""  # the policy step that refused a held part (CDR `reason`)
        self.conn_idx = 0
        self.connector = ""
        self.smsc_id = ""
        self.t_submit = 0.0
        self.t_done = 0.0
        self.t_mono = 0.0
        self.status = ""
        self.err = 0
        self.retries = 0
        self.seg = 0
        self.delivered = not want_receipt
        self.cdr_done = False
        # upstream ordering key: at most one message per key is in flight to an SMSC at a time
        self.okey: tuple[Any, ...] = (system_id, dst, queue)

    def accept_record(self) -> tuple[Any, ...]:
        return (
            "A" if self.kind == MT else "M",
            self.id,
            self.system_id,
            self.enterprise,
            self.product,
            self.content_class,
            self.src,
            self.dst,
            self.body,
            self.queue,
            self.want_receipt,
            self.segments,
            self.connectors,
            self.t_accept,
            self.concat,
            self.priority,
            self.held,
        )

    @classmethod
    def from_record(cls, rec: tuple[Any, ...]) -> Message:
        return cls(
            rec[1],
            MT if rec[0] == "A" else MO,
            rec[2],
            rec[3],
            rec[4],
            rec[5],
            rec[6],
            rec[7],
            rec[8],
            rec[9],
            rec[10],
            rec[11],
            tuple(rec[12]),
            rec[13],
            rec[14],
            rec[15],
            rec[16] if len(rec) > 16 else False,  # logs written before held parts existed
        )


class IdGenerator:
    """Time-ordered 64-bit ids: milliseconds << 16 | counter; never goes backwards."""

    def __init__(self, floor: int = 0) -> None:
        self.last_ms = floor >> 16
        self.counter = floor & 0xFFFF

    def bump(self, seen: int) -> None:
        if seen >> 16 > self.last_ms or (seen >> 16 == self.last_ms and seen & 0xFFFF >= self.counter):
            self.last_ms = seen >> 16
            self.counter = seen & 0xFFFF

    def next(self) -> int:
        ms = time.time_ns() // 1_000_000
        if ms > self.last_ms:
            self.last_ms = ms
            self.counter = 0
        else:
            self.counter += 1
            if self.counter > 0xFFFF:
                self.last_ms += 1
                self.counter = 0
        return (self.last_ms << 16) | self.counter
