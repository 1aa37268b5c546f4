"""Policy on pre-split messages: hold the parts of a concatenated message until all have arrived.

An enterprise that splits a long message itself (UDH IE 0x00/0x08, or the sar_* TLVs) sends one
submit_sm per part. A keyword split across two parts, or a signature that belongs at the start of the
whole text, can only be judged on the reassembled text, so:

* each part runs the per-part steps at submit time (access, content, lists, priority, route, flow
  control), is recorded in the WAL and acknowledged as usual, and is then *held* here instead of
  being queued upstream (only when the account has something to check on the text: a signature mode
  or keywords, its own or global);
* when all parts of a group (same account, source, destination, reference and total) are held,
  the text steps (signature, keywords) run on the joined text (`evaluate_group`);
* a group is also evaluated with the parts it has after `concat_timeout_s`, and the oldest groups
  are when more than `concat_max_parts` parts are held (memory stays bounded);
* accepted: the parts go upstream in part order; in `added` mode the signature is prepended to part
  1 if it fits there, otherwise the text is re-flowed over the same parts (each part keeps its UDH;
  text carried into the next part; all parts UCS2 if the signature needs it). If it does not fit in
  the same number of parts the group is refused (`signature`): the enterprise's part count and its
  message ids stay one to one with what goes upstream;
* refused: every part is finished with status REJECTD and the step's code (receipt if asked for,
  CDR, reject counter).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jike.gateway import pdu, text
from jike.gateway.policy import Rejected

if TYPE_CHECKING:
    from jike.gateway.config import Account, Snapshot
    from jike.gateway.message import Message

UDH_PART_OCTETS = 140  # user data of one SMS: UDH + text
SAR_UDH_OCTETS = 6  # the UDH an SMSC adds for sar_* parts

GroupKey = tuple[str, str, str, int, int]


@dataclass(slots=True)
class Group:
    since: float
    parts: dict[int, Message] = field(default_factory=dict)


class Reassembly:
    """Held parts by group, oldest group first (dicts keep insertion order)."""

    def __init__(self, timeout_s: float, max_parts: int) -> None:
        self.timeout_s = timeout_s
        self.max_parts = max(1, max_parts)
        self.groups: dict[GroupKey, Group] = {}
        self.held = 0

    @staticmethod
    def key(msg: Message) -> GroupKey:
        assert msg.concat is not None
        return (msg.system_id, msg.src, msg.dst, msg.concat[0], msg.concat[1])

    def add(self, msg: Message, now: float) -> Iterator[tuple[str, list[Message]]]:
        """Hold msg; yield (cause, parts in part order) for every group ready to evaluate."""
        assert msg.concat is not None
        key = self.key(msg)
        seq = msg.concat[2]
        group = self.groups.get(key)
        if group is not None and seq in group.parts:  # a part sent again: judge the group so far
            yield "duplicate", self._pop(key)
            group = None
        if group is None:
            group = self.groups[key] = Group(now)
        group.parts[seq] = msg
        self.held += 1
        if len(group.parts) >= msg.concat[1]:
            yield "complete", self._pop(key)
        while self.held > self.max_parts:
            yield "overflow", self._pop(next(iter(self.groups)))

    def expired(self, now: float) -> Iterator[tuple[str, list[Message]]]:
        limit = now - self.timeout_s
        while self.groups:
            key = next(iter(self.groups))
            if self.groups[key].since > limit:
                return
            yield "timeout", self._pop(key)

    def _pop(self, key: GroupKey) -> list[Message]:
        group = self.groups.pop(key)
        self.held -= len(group.parts)
        return [group.parts[s] for s in sorted(group.parts)]


@dataclass(slots=True)
class _Part:
    sm: pdu.ShortMessage
    header: bytes  # the UDH with its length octet (b"" for sar_* parts)
    content: str | None  # None: binary, no text checks possible


def _part(body: bytes) -> _Part:
    sm = pdu.decode_sm(body)
    octets = sm.short_message
    header = b""
    if sm.esm_class & pdu.ESM_UDHI:
        header = octets[: octets[0] + 1]
        octets = octets[len(header) :]
    return _Part(sm, header, text.decode(octets, sm.data_coding))


def _capacity(part: _Part, data_coding: int) -> int:
    """Octets of text one part can carry (unpacked GSM: one octet per septet)."""
    udh = len(part.header) or SAR_UDH_OCTETS
    room = UDH_PART_OCTETS - udh
    return room * 8 // 7 if data_coding == text.DC_DEFAULT else room


def _encode(content: str, data_coding: int) -> bytes:
    return text.gsm7_encode(content) if data_coding == text.DC_DEFAULT else content.encode("utf-16-be")


def _cut(content: str, data_coding: int, limit: int) -> tuple[str, str]:
    """The longest prefix of content that encodes in at most limit octets, and the rest."""
    if len(_encode(content, data_coding)) <= limit:
        return content, ""
    used = 0
    for i, ch in enumerate(content):
        used += len(_encode(ch, data_coding))
        if used > limit:
            return content[:i], content[i:]
    return content, ""


def _reflow(parts: list[_Part], signature: str, whole: bool) -> tuple[int, list[bytes | None]] | None:
    """(data_coding, new text octets per part, None = unchanged) with the signature in front, or None
    if it does not fit. Only part 1 may change unless the group is whole (all parts present)."""
    contents = [p.content or "" for p in parts]
    first = signature + contents[0]
    dc0 = parts[0].sm.data_coding
    if dc0 in (text.DC_DEFAULT, text.DC_UCS2) and (dc0 == text.DC_UCS2 or text.is_gsm7(first)):
        octets = _encode(first, dc0)
        if len(octets) <= _capacity(parts[0], dc0):
            return dc0, [octets] + [None] * (len(parts) - 1)
    if not whole:
        return None
    codings = {p.sm.data_coding for p in parts}
    whole_text = signature + "".join(contents)
    dc = text.DC_DEFAULT if codings == {text.DC_DEFAULT} and text.is_gsm7(whole_text) else text.DC_UCS2
    out: list[bytes | None] = []
    carry = signature
    for part, content in zip(parts, contents, strict=True):
        fits, carry = _cut(carry + content, dc, _capacity(part, dc))
        if not fits:
            return None
        out.append(_encode(fits, dc))
    return None if carry else (dc, out)


def evaluate_group(snap: Snapshot, account: Account | None, parts: list[Message]) -> dict[int, bytes]:
    """Run the text steps on the joined parts (in part order); return {message id: new submit_sm
    body} for the parts that change (empty: forward them as they are), or raise Rejected."""
    if account is None or not account.enabled:
        raise Rejected("access")
    decoded = [_part(m.body) for m in parts]
    joined = "".join(p.content for p in decoded if p.content is not None)
    rebuilt: dict[int, bytes] = {}
    if account.signature_mode != "none":
        if any(p.content is None for p in decoded):
            raise Rejected("signature")
        stripped = joined.strip()
        if not (stripped.startswith(account.signature) or stripped.endswith(account.signature)):
            first = parts[0].concat
            if account.signature_mode == "required" or first is None or first[2] != 1:
                raise Rejected("signature")
            flowed = _reflow(decoded, account.signature, whole=len(parts) == first[1])
            if flowed is None:
                raise Rejected("signature")
            dc, octets = flowed
            for msg, part, new in zip(parts, decoded, octets, strict=True):
                sm = part.sm
                if new is None or (part.header + new == sm.short_message and dc == sm.data_coding):
                    continue
                sm.short_message = part.header + new
                sm.data_coding = dc
                rebuilt[msg.id] = pdu.encode_sm(sm)
            joined = account.signature + joined
    for pattern in (snap.keyword_re, account.keyword_re):
        if pattern is not None and pattern.search(joined):
            raise Rejected("keyword")
    return rebuilt
