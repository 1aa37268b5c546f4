"""Message text: GSM 03.38 default alphabet (unpacked septets), UCS2, UDH and segment counting."""

from __future__ import annotations

from dataclasses import dataclass

DC_DEFAULT = 0x00  # SMSC default alphabet: GSM 7-bit, one septet per octet in SMPP
DC_IA5 = 0x01
DC_BINARY = 0x04
DC_LATIN1 = 0x03
DC_UCS2 = 0x08

_GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXT = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}
_ENC_BASIC = {ch: i for i, ch in enumerate(_GSM_BASIC) if i != 0x1B}
_ENC_EXT = {ch: code for code, ch in _GSM_EXT.items()}
_DEC_TABLE = {i: ch for i, ch in enumerate(_GSM_BASIC)}
_ASCII_SAFE = frozenset(i for i, ch in enumerate(_GSM_BASIC) if ord(ch) == i and ch not in "$@_" and i != 0x1B)

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


class TextError(ValueError):
    pass


def gsm7_encode(text: str) -> bytes:
    out = bytearray()
    for ch in text:
        code = _ENC_BASIC.get(ch)
        if code is not None:
            out.append(code)
            continue
        ext = _ENC_EXT.get(ch)
        if ext is None:
            raise TextError(f"character {ch!r} not in the GSM 7-bit alphabet")
        out.append(0x1B)
        out.append(ext)
    return bytes(out)


def gsm7_decode(data: bytes) -> str:
    # fast path: plain letters, digits and most punctuation coincide with ASCII
    if all(b in _ASCII_SAFE for b in data):
        return data.decode("ascii")
    out: list[str] = []
    escape = False
    for b in data:
        b &= 0x7F
        if escape:
            out.append(_GSM_EXT.get(b, " "))
            escape = False
        elif b == 0x1B:
            escape = True
        else:
            out.append(_DEC_TABLE[b])
    return "".join(out)


def is_gsm7(text: str) -> bool:
    return all(ch in _ENC_BASIC or ch in _ENC_EXT for ch in text)


def decode(data: bytes, data_coding: int) -> str | None:
    """Decode message octets to text; None for binary (no text checks possible)."""
    dc = data_coding
    if dc == DC_DEFAULT:
        return gsm7_decode(data)
    if dc == DC_UCS2:
        if len(data) % 2:
            raise TextError("odd UCS2 length")
        return data.decode("utf-16-be", errors="strict")
    if dc == DC_IA5:
        return data.decode("ascii", errors="replace")
    if dc == DC_LATIN1:
        return data.decode("latin-1")
    if dc in (0xF0, 0x10, 0x11, 0x12, 0x13):
        return gsm7_decode(data)
    if dc in (0x18, 0x19, 0x1A, 0x1B):
        return data.decode("utf-16-be", errors="strict")
    return None


def encode(text: str) -> tuple[bytes, int]:
    """Encode text in the smallest alphabet: GSM 7-bit when possible, UCS2 otherwise."""
    try:
        return gsm7_encode(text), DC_DEFAULT
    except TextError:
        return text.encode("utf-16-be"), DC_UCS2


@dataclass(slots=True, frozen=True)
class Concat:
    ref: int
    total: int
    seq: int


def split_udh(short_message: bytes) -> tuple[Concat | None, bytes]:
    """Split a UDHI message into its concatenation info (if any) and its user data."""
    if not short_message:
        raise TextError("UDHI set on an empty message")
    udhl = short_message[0]
    if udhl + 1 > len(short_message):
        raise TextError("UDH longer than the message")
    header = short_message[1 : udhl + 1]
    data = short_message[udhl + 1 :]
    concat: Concat | None = None
    pos = 0
    while pos + 2 <= len(header):
        iei, iel = header[pos], header[pos + 1]
        value = header[pos + 2 : pos + 2 + iel]
        if iei == 0x00 and iel == 3:
            concat = Concat(value[0], value[1], value[2])
        elif iei == 0x08 and iel == 4:
            concat = Concat((value[0] << 8) | value[1], value[2], value[3])
        pos += 2 + iel
    if concat is not None and not (1 <= concat.seq <= concat.total):
        raise TextError("concatenation sequence out of range")
    return concat, data


def udh_concat(ref: int, total: int, seq: int) -> bytes:
    return bytes((5, 0x00, 3, ref & 0xFF, total, seq))


def segments_for(octets: int, data_coding: int, text: str | None) -> int:
    """How many SMS segments a message body of this size needs (used for billing)."""
    if data_coding == DC_DEFAULT or (text is not None and data_coding not in (DC_UCS2, DC_BINARY)):
        units = octets if data_coding == DC_DEFAULT else len(text or "")
        single, part = GSM7_SINGLE, GSM7_PART
    elif data_coding == DC_UCS2 or data_coding in (0x18, 0x19, 0x1A, 0x1B):
        units = octets // 2
        single, part = UCS2_SINGLE, UCS2_PART
    else:
        units, single, part = octets, 140, 134
    if units <= single:
        return 1
    return -(-units // part)


def split_text(text: str, ref: int) -> tuple[list[bytes], int]:
    """Split text into UDH-concatenated short_message octets (for clients and tests)."""
    data, dc = encode(text)
    if dc == DC_UCS2:
        single, part_units, unit = UCS2_SINGLE, UCS2_PART, 2
    else:
        single, part_units, unit = GSM7_SINGLE, GSM7_PART, 1
    if len(data) <= single * unit:
        return [data], dc
    step = part_units * unit
    chunks = [data[i : i + step] for i in range(0, len(data), step)]
    # never split a GSM escape sequence across parts
    if dc == DC_DEFAULT:
        fixed: list[bytes] = []
        carry = b""
        for chunk in chunks:
            chunk = carry + chunk
            carry = b""
            if len(chunk) > step:
                carry, chunk = chunk[step:], chunk[:step]
            if chunk.endswith(b"\x1b"):
                carry, chunk = b"\x1b" + carry, chunk[:-1]
            fixed.append(chunk)
        if carry:
            fixed.append(carry)
        chunks = fixed
    total = len(chunks)
    return [udh_concat(ref, total, i + 1) + c for i, c in enumerate(chunks)], dc
