"""A lean SMPP 3.4 PDU codec: bytes in, plain tuples and dataclasses out.

Only what the gateway, the simulator and the pass-through need.  The hot path works on
raw bodies: a submit_sm body is decoded once on the north side and re-used byte for byte
on the south side, so only the 16-byte header is packed per forward.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER = struct.Struct(">IIII")
_U16 = struct.Struct(">H")
_TLV_HEAD = struct.Struct(">HH")
MAX_PDU_LEN = 64 * 1024

# command ids
GENERIC_NACK = 0x80000000
BIND_RECEIVER = 0x00000001
BIND_RECEIVER_RESP = 0x80000001
BIND_TRANSMITTER = 0x00000002
BIND_TRANSMITTER_RESP = 0x80000002
QUERY_SM = 0x00000003
SUBMIT_SM = 0x00000004
SUBMIT_SM_RESP = 0x80000004
DELIVER_SM = 0x00000005
DELIVER_SM_RESP = 0x80000005
UNBIND = 0x00000006
UNBIND_RESP = 0x80000006
BIND_TRANSCEIVER = 0x00000009
BIND_TRANSCEIVER_RESP = 0x80000009
ENQUIRE_LINK = 0x00000015
ENQUIRE_LINK_RESP = 0x80000015
RESP_BIT = 0x80000000
BIND_COMMANDS = (BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER)

# command_status values (SMPP 3.4 section 5.1.3, plus the gateway's vendor-specific range)
ESME_ROK = 0x00
ESME_RINVMSGLEN = 0x01
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RALYBND = 0x05
ESME_RINVPRTFLG = 0x06
ESME_RSYSERR = 0x08
ESME_RINVSRCADR = 0x0A
ESME_RINVDSTADR = 0x0B
ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
ESME_RMSGQFUL = 0x14
ESME_RINVESMCLASS = 0x43
ESME_RSUBMITFAIL = 0x45
ESME_RTHROTTLED = 0x58
ESME_RUNKNOWNERR = 0xFF
# vendor-specific (0x400-0x4FF): one per policy step that SMPP has no code for
JIKE_RSIGNATURE = 0x401  # enterprise signature missing / cannot be added
JIKE_RBLACKLIST = 0x402  # destination on the global or the account's black list
JIKE_RWHITELIST = 0x403  # white-list mode and destination not on the white list
JIKE_RKEYWORD = 0x404  # content matched a forbidden keyword
JIKE_RCONTENT = 0x405  # unsupported data_coding / undecodable text

STATUS_NAMES = {
    ESME_ROK: "ESME_ROK",
    ESME_RINVMSGLEN: "ESME_RINVMSGLEN",
    ESME_RINVCMDLEN: "ESME_RINVCMDLEN",
    ESME_RINVCMDID: "ESME_RINVCMDID",
    ESME_RINVBNDSTS: "ESME_RINVBNDSTS",
    ESME_RALYBND: "ESME_RALYBND",
    ESME_RINVPRTFLG: "ESME_RINVPRTFLG",
    ESME_RSYSERR: "ESME_RSYSERR",
    ESME_RINVSRCADR: "ESME_RINVSRCADR",
    ESME_RINVDSTADR: "ESME_RINVDSTADR",
    ESME_RBINDFAIL: "ESME_RBINDFAIL",
    ESME_RINVPASWD: "ESME_RINVPASWD",
    ESME_RINVSYSID: "ESME_RINVSYSID",
    ESME_RMSGQFUL: "ESME_RMSGQFUL",
    ESME_RINVESMCLASS: "ESME_RINVESMCLASS",
    ESME_RSUBMITFAIL: "ESME_RSUBMITFAIL",
    ESME_RTHROTTLED: "ESME_RTHROTTLED",
    JIKE_RSIGNATURE: "JIKE_RSIGNATURE",
    JIKE_RBLACKLIST: "JIKE_RBLACKLIST",
    JIKE_RWHITELIST: "JIKE_RWHITELIST",
    JIKE_RKEYWORD: "JIKE_RKEYWORD",
    JIKE_RCONTENT: "JIKE_RCONTENT",
}

# optional parameter (TLV) tags
TAG_SAR_MSG_REF_NUM = 0x020C
TAG_SAR_TOTAL_SEGMENTS = 0x020E
TAG_SAR_SEGMENT_SEQNUM = 0x020F
TAG_MESSAGE_PAYLOAD = 0x0424
TAG_RECEIPTED_MESSAGE_ID = 0x001E
TAG_MESSAGE_STATE = 0x0427
TAG_NETWORK_ERROR_CODE = 0x0423

ESM_UDHI = 0x40
ESM_RECEIPT = 0x04

MESSAGE_STATES = {
    "ENROUTE": 1,
    "DELIVRD": 2,
    "EXPIRED": 3,
    "DELETED": 4,
    "UNDELIV": 5,
    "ACCEPTD": 6,
    "UNKNOWN": 7,
    "REJECTD": 8,
}


class PDUError(Exception):
    """A malformed PDU; carries the command_status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def pack(command_id: int, status: int, sequence: int, body: bytes = b"") -> bytes:
    return HEADER.pack(16 + len(body), command_id, status, sequence) + body


def cstr(value: str | bytes) -> bytes:
    raw = value.encode("latin-1") if isinstance(value, str) else value
    return raw + b"\0"


def read_cstr(body: bytes, pos: int, limit: int = 256) -> tuple[bytes, int]:
    end = body.find(b"\0", pos, pos + limit + 1)
    if end < 0:
        raise PDUError(ESME_RINVCMDLEN, "unterminated C-octet string")
    return body[pos:end], end + 1


def parse_tlvs(body: bytes, pos: int) -> dict[int, bytes]:
    tlvs: dict[int, bytes] = {}
    n = len(body)
    while pos + 4 <= n:
        tag, length = _TLV_HEAD.unpack_from(body, pos)
        pos += 4
        if pos + length > n:
            raise PDUError(ESME_RINVCMDLEN, "truncated optional parameter")
        tlvs[tag] = body[pos : pos + length]
        pos += length
    if pos != n:
        raise PDUError(ESME_RINVCMDLEN, "trailing bytes after optional parameters")
    return tlvs


def tlv(tag: int, value: bytes) -> bytes:
    return _TLV_HEAD.pack(tag, len(value)) + value


# --- bind ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Bind:
    system_id: str
    password: str
    system_type: str = ""
    interface_version: int = 0x34
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""


def decode_bind(body: bytes) -> Bind:
    system_id, pos = read_cstr(body, 0, 16)
    password, pos = read_cstr(body, pos, 9)
    system_type, pos = read_cstr(body, pos, 13)
    if pos + 3 > len(body):
        raise PDUError(ESME_RINVCMDLEN, "short bind")
    version, ton, npi = body[pos], body[pos + 1], body[pos + 2]
    address_range, _ = read_cstr(body, pos + 3, 41)
    return Bind(
        system_id.decode("latin-1"),
        password.decode("latin-1"),
        system_type.decode("latin-1"),
        version,
        ton,
        npi,
        address_range.decode("latin-1"),
    )


def encode_bind(bind: Bind) -> bytes:
    return (
        cstr(bind.system_id)
        + cstr(bind.password)
        + cstr(bind.system_type)
        + bytes((bind.interface_version, bind.addr_ton, bind.addr_npi))
        + cstr(bind.address_range)
    )


# --- submit_sm / deliver_sm ------------------------------------------------------------------


_SM_FIELDS = (
    "source_addr",
    "destination_addr",
    "short_message",
    "service_type",
    "source_addr_ton",
    "source_addr_npi",
    "dest_addr_ton",
    "dest_addr_npi",
    "esm_class",
    "protocol_id",
    "priority_flag",
    "schedule_delivery_time",
    "validity_period",
    "registered_delivery",
    "replace_if_present_flag",
    "data_coding",
    "sm_default_msg_id",
    "tlvs",
    "rd_offset",
    "raw",
)


class ShortMessage:
    """The fields of submit_sm and deliver_sm (identical layouts).

    A plain class, not a dataclass: one is built per submit_sm, and a dataclass's generated
    ``__init__`` stays a Python function even in the compiled build (jike/gateway/native.py).
    """

    __slots__ = _SM_FIELDS

    def __init__(
        self,
        source_addr: str = "",
        destination_addr: str = "",
        short_message: bytes = b"",
        service_type: str = "",
        source_addr_ton: int = 0,
        source_addr_npi: int = 0,
        dest_addr_ton: int = 0,
        dest_addr_npi: int = 0,
        esm_class: int = 0,
        protocol_id: int = 0,
        priority_flag: int = 0,
        schedule_delivery_time: str = "",
        validity_period: str = "",
        registered_delivery: int = 0,
        replace_if_present_flag: int = 0,
        data_coding: int = 0,
        sm_default_msg_id: int = 0,
        tlvs: dict[int, bytes] | None = None,
        rd_offset: int = -1,
        raw: bytes = b"",
    ) -> None:
        self.source_addr = source_addr
        self.destination_addr = destination_addr
        self.short_message = short_message
        self.service_type = service_type
        self.source_addr_ton = source_addr_ton
        self.source_addr_npi = source_addr_npi
        self.dest_addr_ton = dest_addr_ton
        self.dest_addr_npi = dest_addr_npi
        self.esm_class = esm_class
        self.protocol_id = protocol_id
        self.priority_flag = priority_flag
        self.schedule_delivery_time = schedule_delivery_time
        self.validity_period = validity_period
        self.registered_delivery = registered_delivery
        self.replace_if_present_flag = replace_if_present_flag
        self.data_coding = data_coding
        self.sm_default_msg_id = sm_default_msg_id
        self.tlvs: dict[int, bytes] = {} if tlvs is None else tlvs
        # where registered_delivery sits in the decoded body (lets a forwarder patch one octet)
        self.rd_offset = rd_offset
        self.raw = raw

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in _SM_FIELDS)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ShortMessage) and self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value (as the dataclass was)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(_SM_FIELDS, self._values(), strict=True))
        return f"ShortMessage({fields})"


def decode_sm(body: bytes) -> ShortMessage:
    find = body.find
    end = find(b"\0", 0, 7)
    if end < 0:
        raise PDUError(ESME_RINVCMDLEN, "bad service_type")
    service_type = body[:end]
    pos = end + 1
    try:
        src_ton = body[pos]
        src_npi = body[pos + 1]
        pos += 2
        end = find(b"\0", pos, pos + 22)
        if end < 0:
            raise PDUError(ESME_RINVSRCADR, "bad source_addr")
        source_addr = body[pos:end]
        pos = end + 1
        dst_ton = body[pos]
        dst_npi = body[pos + 1]
        pos += 2
        end = find(b"\0", pos, pos + 22)
        if end < 0:
            raise PDUError(ESME_RINVDSTADR, "bad destination_addr")
        dest = body[pos:end]
        pos = end + 1
        esm_class = body[pos]
        protocol_id = body[pos + 1]
        priority = body[pos + 2]
        pos += 3
        end = find(b"\0", pos, pos + 18)
        if end < 0:
            raise PDUError(ESME_RINVCMDLEN, "bad schedule_delivery_time")
        schedule = body[pos:end]
        pos = end + 1
        end = find(b"\0", pos, pos + 18)
        if end < 0:
            raise PDUError(ESME_RINVCMDLEN, "bad validity_period")
        validity = body[pos:end]
        pos = end + 1
        rd_offset = pos
        registered = body[pos]
        replace = body[pos + 1]
        data_coding = body[pos + 2]
        default_id = body[pos + 3]
        sm_length = body[pos + 4]
    except IndexError:
        raise PDUError(ESME_RINVCMDLEN, "short submit_sm/deliver_sm") from None
    pos += 5
    short_message = body[pos : pos + sm_length]
    if len(short_message) != sm_length:
        raise PDUError(ESME_RINVMSGLEN, "sm_length beyond PDU")
    pos += sm_length
    tlvs = parse_tlvs(body, pos) if pos < len(body) else {}
    return ShortMessage(
        source_addr.decode("latin-1"),
        dest.decode("latin-1"),
        short_message,
        service_type.decode("latin-1") if service_type else "",
        src_ton,
        src_npi,
        dst_ton,
        dst_npi,
        esm_class,
        protocol_id,
        priority,
        schedule.decode("latin-1") if schedule else "",
        validity.decode("latin-1") if validity else "",
        registered,
        replace,
        data_coding,
        default_id,
        tlvs,
        rd_offset,
        body,
    )


def encode_sm(sm: ShortMessage) -> bytes:
    if len(sm.short_message) > 254:
        raise ValueError("short_message longer than 254 octets; use message_payload")
    parts = [
        cstr(sm.service_type),
        bytes((sm.source_addr_ton, sm.source_addr_npi)),
        cstr(sm.source_addr),
        bytes((sm.dest_addr_ton, sm.dest_addr_npi)),
        cstr(sm.destination_addr),
        bytes((sm.esm_class, sm.protocol_id, sm.priority_flag)),
        cstr(sm.schedule_delivery_time),
        cstr(sm.validity_period),
        bytes(
            (
                sm.registered_delivery,
                sm.replace_if_present_flag,
                sm.data_coding,
                sm.sm_default_msg_id,
                len(sm.short_message),
            )
        ),
        sm.short_message,
    ]
    for tag, value in sm.tlvs.items():
        parts.append(tlv(tag, value))
    return b"".join(parts)


def encode_resp_message_id(message_id: str) -> bytes:
    return message_id.encode("latin-1") + b"\0"


def decode_resp_message_id(body: bytes) -> str:
    if not body:
        return ""
    end = body.find(b"\0")
    return (body if end < 0 else body[:end]).decode("latin-1")


def command_name(command_id: int) -> str:
    return _COMMAND_NAMES.get(command_id, hex(command_id))


_COMMAND_NAMES = {
    GENERIC_NACK: "generic_nack",
    BIND_RECEIVER: "bind_receiver",
    BIND_RECEIVER_RESP: "bind_receiver_resp",
    BIND_TRANSMITTER: "bind_transmitter",
    BIND_TRANSMITTER_RESP: "bind_transmitter_resp",
    QUERY_SM: "query_sm",
    SUBMIT_SM: "submit_sm",
    SUBMIT_SM_RESP: "submit_sm_resp",
    DELIVER_SM: "deliver_sm",
    DELIVER_SM_RESP: "deliver_sm_resp",
    UNBIND: "unbind",
    UNBIND_RESP: "unbind_resp",
    BIND_TRANSCEIVER: "bind_transceiver",
    BIND_TRANSCEIVER_RESP: "bind_transceiver_resp",
    ENQUIRE_LINK: "enquire_link",
    ENQUIRE_LINK_RESP: "enquire_link_resp",
}


class FrameReader:
    """Splits a TCP byte stream into (command_id, status, sequence, body) frames."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[tuple[int, int, int, bytes]]:
        buf = self._buf + data if self._buf else data
        out: list[tuple[int, int, int, bytes]] = []
        pos = 0
        n = len(buf)
        unpack = HEADER.unpack_from
        while n - pos >= 16:
            # the header tuple is indexed, not unpacked: compiled, only the length is converted to a
            # native int and the other fields stay objects (21 frames: 7.6 -> 3.9 us; same as Python)
            h = unpack(buf, pos)
            length: int = h[0]
            if length < 16 or length > MAX_PDU_LEN:
                raise PDUError(ESME_RINVCMDLEN, f"invalid command_length {length}")
            if n - pos < length:
                break
            out.append((h[1], h[2], h[3], buf[pos + 16 : pos + length]))
            pos += length
        self._buf = buf[pos:] if pos < n else b""
        return out


# --- delivery receipts -----------------------------------------------------------------------


def receipt_text(message_id: str, stat: str, err: int, submit_date: str, done_date: str, text: bytes = b"") -> bytes:
    dlvrd = b"001" if stat == "DELIVRD" else b"000"
    return b"id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%03d text:%s" % (
        message_id.encode("latin-1"),
        dlvrd,
        submit_date.encode(),
        done_date.encode(),
        stat.encode(),
        err,
        text[:20],
    )


def encode_receipt(source: str, destination: str, text: bytes, message_id: str, state: int) -> bytes:
    """A deliver_sm body carrying a delivery receipt (esm_class 0x04) with its TLVs."""
    mid = message_id.encode("latin-1") + b"\0"
    return b"".join(
        (
            b"\0\0\0",
            source.encode("latin-1"),
            b"\0\0\0",
            destination.encode("latin-1"),
            b"\0\x04\0\0\0\0\0\0\0\0",  # esm_class .. sm_default_msg_id
            bytes((len(text),)),
            text,
            _TLV_HEAD.pack(TAG_RECEIPTED_MESSAGE_ID, len(mid)),
            mid,
            _TLV_HEAD.pack(TAG_MESSAGE_STATE, 1),
            bytes((state,)),
        )
    )


def receipt_body(
    source: str, destination: str, message_id: str, stat: str, err: int, submit_date: str, done_date: str, state: int
) -> bytes:
    """``encode_receipt(source, destination, receipt_text(...), message_id, state)`` in one go.

    %-formatting, not f-strings: in the compiled build an f-string becomes a chain of
    concatenations (1.7 us here against 0.9 us for %); as plain Python % costs ~0.2 us more."""
    text = "id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%03d text:" % (  # noqa: UP031
        message_id,
        "001" if stat == "DELIVRD" else "000",
        submit_date,
        done_date,
        stat,
        err,
    )
    return (
        "\0\0\0%s\0\0\0%s\0\x04\0\0\0\0\0\0\0\0%c%s\0\x1e\0%c%s\0\x04\x27\0\x01%c"  # noqa: UP031
        % (source, destination, len(text), text, len(message_id) + 1, message_id, state)
    ).encode("latin-1")


def _receipt_err(text: bytes) -> int:
    """The `err:` field of a receipt text (3 digits), 0 when absent."""
    at = text.find(b" err:")
    if at >= 0:
        digits = text[at + 5 : at + 8]
        if digits.isdigit():
            return int(digits)
    return 0


def parse_receipt(sm: ShortMessage) -> tuple[str, str, int]:
    """Return (smsc message id, stat, err) of a delivery receipt."""
    tlvs = sm.tlvs
    raw_id = tlvs.get(TAG_RECEIPTED_MESSAGE_ID)
    text = sm.short_message or tlvs.get(TAG_MESSAGE_PAYLOAD, b"")
    err = _receipt_err(text)
    state = tlvs.get(TAG_MESSAGE_STATE)
    if raw_id is not None and state:
        return raw_id.rstrip(b"\0").decode("latin-1"), _STATE_NAMES.get(state[0], "UNKNOWN"), err
    message_id = raw_id.rstrip(b"\0").decode("latin-1") if raw_id is not None else ""
    stat = ""
    for token in text.split(b" "):
        if token.startswith(b"id:") and not message_id:
            message_id = token[3:].decode("latin-1")
        elif token.startswith(b"stat:"):
            stat = token[5:].decode("latin-1")
    if not stat and state:
        stat = _STATE_NAMES.get(state[0], "UNKNOWN")
    return message_id, stat or "UNKNOWN", err


_STATE_NAMES = {v: k for k, v in MESSAGE_STATES.items()}
_STATE_BY_OCTET = {bytes((v,)): k for k, v in MESSAGE_STATES.items()}
_NOT_A_RECEIPT = ("", "", -1)


def receipt_fields(body: bytes) -> tuple[str, str, int] | None:
    """Fast path for the commonest deliver_sm: a well-formed delivery receipt.

    Returns (smsc message id, stat, err) exactly as ``parse_receipt(decode_sm(body))`` would,
    ``("", "", -1)`` when the body is well formed but not a receipt (MO), and None when anything is
    unusual (the caller then takes the general path, which also reports malformed PDUs).
    """
    find = body.find
    n = len(body)
    p = find(b"\0", 0, 7)
    if p < 0:
        return None
    p = find(b"\0", p + 3, p + 25)  # source_addr after ton, npi
    if p < 0:
        return None
    p = find(b"\0", p + 3, p + 25)  # destination_addr after ton, npi
    if p < 0 or p + 4 > n:
        return None
    if body[p + 1] & 0x3C != ESM_RECEIPT:
        return _NOT_A_RECEIPT
    p = find(b"\0", p + 4, p + 22)  # schedule_delivery_time
    if p < 0:
        return None
    p = find(b"\0", p + 1, p + 19)  # validity_period
    if p < 0 or p + 6 > n:
        return None
    start = p + 6
    pos = start + body[p + 5]
    if pos > n:
        return None
    raw_id: bytes | None = None
    state: bytes | None = None
    payload: bytes | None = None
    while pos + 4 <= n:
        # octets, not _TLV_HEAD.unpack_from: compiled, this avoids a tuple of untyped ints (2.0 -> 1.6 us)
        tag = (body[pos] << 8) | body[pos + 1]
        length = (body[pos + 2] << 8) | body[pos + 3]
        pos += 4
        end = pos + length
        if tag == TAG_RECEIPTED_MESSAGE_ID:
            raw_id = body[pos:end]
        elif tag == TAG_MESSAGE_STATE:
            state = body[pos:end]
        elif tag == TAG_MESSAGE_PAYLOAD:
            payload = body[pos:end]
        pos = end
    if pos != n or raw_id is None or not state:
        return None
    stat = _STATE_BY_OCTET.get(state[:1])
    if stat is None:
        return None
    text = body[start : start + body[p + 5]] or payload or b""
    err = _receipt_err(text)
    return raw_id.rstrip(b"\0").decode("latin-1"), stat, err
