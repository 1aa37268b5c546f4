"""The policy pipeline applied to every submit_sm, in order, each step with its own status code.

1. access      bound as transmitter/transceiver, account enabled, source address allowed
2. content     data_coding decodable, UDH well-formed (segments counted here)
3. signature   【签名】 required (reject) or added (prepended) per account
4. lists       global and per-account black list; white-list mode
5. keywords    global and per-account forbidden words
6. priority    priority_flag 0..3 -> bulk / normal / emergency queue, at most the account's
               max_priority (reason `priority_allowance`)
7. route       longest number-segment prefix -> connectors in failover order
8. flow        per-account rate (sliding one-second window) and daily quota -> ESME_RTHROTTLED

Only a message that passes every step consumes rate and quota.

The parts of a message the enterprise split itself (UDH or sar_* concatenation) pass steps 3 and 5
later, on the joined text, once all parts are in (jike/gateway/concat.py): `Accepted.hold` says so.
"""

from __future__ import annotations

import codecs
import json
import time
from collections import deque
from pathlib import Path
from typing import Any, NamedTuple

from jike.gateway import pdu, text
from jike.gateway.config import Account, Snapshot, normalize_number

QUEUE_EMERGENCY, QUEUE_NORMAL, QUEUE_BULK = 0, 1, 2
QUEUE_NAMES = ("emergency", "normal", "bulk")
PRIORITY_QUEUE = {0: QUEUE_BULK, 1: QUEUE_NORMAL, 2: QUEUE_EMERGENCY, 3: QUEUE_EMERGENCY}

# reason label -> status code (documented in docs/gateway.md)
REASONS = {
    "access": pdu.ESME_RINVSRCADR,
    "content": pdu.JIKE_RCONTENT,
    "signature": pdu.JIKE_RSIGNATURE,
    "blacklist": pdu.JIKE_RBLACKLIST,
    "whitelist": pdu.JIKE_RWHITELIST,
    "keyword": pdu.JIKE_RKEYWORD,
    "priority": pdu.ESME_RINVPRTFLG,
    "priority_allowance": pdu.ESME_RINVPRTFLG,
    "route": pdu.ESME_RINVDSTADR,
    "rate": pdu.ESME_RTHROTTLED,
    "quota": pdu.ESME_RTHROTTLED,
    "overload": pdu.ESME_RMSGQFUL,
}


class Rejected(Exception):
    __slots__ = ("reason", "status")

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = REASONS[reason] if status is None else status


class Accepted(NamedTuple):
    """What the pipeline hands to the gateway for an accepted submit_sm (a plain tuple)."""

    body: bytes  # the submit_sm body to send upstream (registered_delivery forced on)
    destination: str
    source: str
    queue: int
    connectors: tuple[str, ...]
    segments: int
    want_receipt: bool
    content_class: str
    concat: tuple[int, int, int] | None
    hold: bool  # a part of a concatenated message: signature and keywords are checked on the whole


# bytes.decode("utf-16-be") looks the codec up by name and goes through a Python-level wrapper
# (~1.0 us for a 30-character text); the codec function itself takes ~0.35 us
_utf16be_decode = codecs.utf_16_be_decode
_tuple_new = tuple.__new__


_day_cache: list[Any] = [0.0, 0.0, ""]  # [start, end) of the cached day, its name


def _shanghai_day(now: float) -> str:
    """The Asia/Shanghai calendar day (quota days), cached per day."""
    cache = _day_cache
    if not cache[0] <= now < cache[1]:
        day = (now + 8 * 3600) // 86400
        cache[0] = day * 86400 - 8 * 3600
        cache[1] = cache[0] + 86400
        cache[2] = time.strftime("%Y-%m-%d", time.gmtime(now + 8 * 3600))
    return str(cache[2])


class FlowControl:
    """Per-account rate (sliding window of one second) and daily quota counters."""

    def __init__(self, state_path: Path | None = None) -> None:
        self.windows: dict[str, deque[float]] = {}
        self.day = ""
        self.used: dict[str, int] = {}
        self.state_path = state_path
        if state_path is not None and state_path.exists():
            try:
                data = json.loads(state_path.read_text())
                self.day = str(data.get("day", ""))
                self.used = {str(k): int(v) for k, v in data.get("used", {}).items()}
            except (OSError, ValueError):
                pass

    def check(self, account: Account, now: float) -> str | None:
        """Reserve one message for the account; return the reason if over its limits."""
        sid = account.system_id
        quota = account.daily_quota
        if quota:
            day = _shanghai_day(now)
            if day != self.day:
                self.day = day
                self.used = {}
            used = self.used.get(sid, 0)
            if used >= quota:
                return "quota"
        if account.rate:
            win = self.windows.get(sid)
            if win is None:
                win = self.windows[sid] = deque()
            edge = now - 1.0
            while win and win[0] <= edge:
                win.popleft()
            if len(win) >= account.rate:
                return "rate"
            win.append(now)
        if quota:
            self.used[sid] = used + 1
        return None

    def save(self) -> None:
        if self.state_path is None:
            return
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"day": self.day, "used": self.used}))
        tmp.replace(self.state_path)


def _has_signature(content: str, signature: str) -> bool:
    stripped = content.strip()
    return stripped.startswith(signature) or stripped.endswith(signature)


def evaluate(snap: Snapshot, account: Account, sm: pdu.ShortMessage, flow: FlowControl, now: float) -> Accepted:
    """Run the pipeline; raise Rejected with the failing step's reason."""
    # 1. access: source address must be one of the account's service numbers (if configured)
    if account.mo_addresses and not sm.source_addr.startswith(account.mo_addresses):
        raise Rejected("access")
    destination = sm.destination_addr
    if not destination.isdigit() or len(destination) == 13:  # 11 plain digits need no normalising
        destination = normalize_number(destination)
        if not destination.isdigit():
            raise Rejected("route")

    # 2. content: decode text (for signature/keywords) and count segments
    tlvs = sm.tlvs
    payload = tlvs.get(pdu.TAG_MESSAGE_PAYLOAD) if tlvs else None
    octets = sm.short_message
    if payload is not None:
        if octets:
            raise Rejected("content", pdu.ESME_RINVMSGLEN)
        octets = payload
    concat: tuple[int, int, int] | None = None
    try:
        if sm.esm_class & pdu.ESM_UDHI and payload is None:
            info, octets = text.split_udh(octets)
            if info is not None:
                concat = (info.ref, info.total, info.seq)
        elif tlvs and pdu.TAG_SAR_MSG_REF_NUM in tlvs:
            concat = (
                int.from_bytes(tlvs[pdu.TAG_SAR_MSG_REF_NUM], "big"),
                tlvs.get(pdu.TAG_SAR_TOTAL_SEGMENTS, b"\x01")[0],
                tlvs.get(pdu.TAG_SAR_SEGMENT_SEQNUM, b"\x01")[0],
            )
        if sm.data_coding == text.DC_UCS2 and not len(octets) % 2:
            content: str | None = _utf16be_decode(octets, "strict", True)[0]
        else:
            content = text.decode(octets, sm.data_coding)
    except (text.TextError, UnicodeDecodeError, IndexError):
        raise Rejected("content") from None
    segments = 1 if concat is not None else text.segments_for(len(octets), sm.data_coding, content)
    # parts of a concatenated message: the text steps wait for the whole text (concat.py)
    hold = (
        concat is not None
        and concat[1] > 1
        and (account.signature_mode != "none" or account.keyword_re is not None or snap.keyword_re is not None)
    )

    # 3. signature: checked on the first (or only) segment
    rebuilt: bytes | None = None
    data_coding = sm.data_coding
    if account.signature_mode != "none" and not hold and (concat is None or concat[2] == 1):
        if content is None:
            raise Rejected("signature")
        if not _has_signature(content, account.signature):
            if account.signature_mode == "required" or concat is not None:
                raise Rejected("signature")
            content = account.signature + content
            rebuilt, data_coding = text.encode(content)
            segments = text.segments_for(len(rebuilt), data_coding, content)

    # 4. lists
    if destination in snap.blacklist or destination in account.blacklist:
        raise Rejected("blacklist")
    if account.whitelist_mode and destination not in account.whitelist:
        raise Rejected("whitelist")

    # 5. keywords
    if content is not None and not hold:
        if snap.keyword_re is not None and snap.keyword_re.search(content):
            raise Rejected("keyword")
        if account.keyword_re is not None and account.keyword_re.search(content):
            raise Rejected("keyword")

    # 6. priority: a valid flag, and not above what the account is allowed
    queue = PRIORITY_QUEUE.get(sm.priority_flag)
    if queue is None:
        raise Rejected("priority")
    if sm.priority_flag > account.max_priority:
        raise Rejected("priority_allowance")

    # 7. route
    connectors = snap.route(destination)
    if not connectors:
        raise Rejected("route")

    # 8. flow control (last: only messages that pass everything consume rate and quota)
    reason = flow.check(account, now)
    if reason is not None:
        raise Rejected(reason)

    want_receipt = bool(sm.registered_delivery & 0x03)
    registered = (sm.registered_delivery & ~0x03) | 0x01
    if rebuilt is None and destination == sm.destination_addr and sm.raw and sm.rd_offset >= 0:
        # the common case: forward the enterprise's bytes, asking the SMSC for a receipt
        off = sm.rd_offset
        raw = sm.raw
        body = raw if raw[off] == registered else raw[:off] + bytes((registered,)) + raw[off + 1 :]
    else:
        body = b""
    sm.registered_delivery = registered
    sm.destination_addr = destination
    if rebuilt is not None:
        sm.data_coding = data_coding
        if len(rebuilt) <= 254:
            sm.short_message = rebuilt
            sm.tlvs.pop(pdu.TAG_MESSAGE_PAYLOAD, None)
        else:
            sm.short_message = b""
            sm.tlvs[pdu.TAG_MESSAGE_PAYLOAD] = rebuilt
    product = snap.products.get(account.product)
    service_type = sm.service_type
    if product is not None and service_type in product.class_prices_fen:
        content_class = service_type
    else:
        content_class = account.content_class
    # tuple.__new__ directly: the NamedTuple constructor is a Python-level function
    return _tuple_new(
        Accepted,
        (
            body or pdu.encode_sm(sm),
            destination,
            sm.source_addr,
            queue,
            connectors,
            segments,
            want_receipt,
            content_class,
            concat,
            hold,
        ),
    )
