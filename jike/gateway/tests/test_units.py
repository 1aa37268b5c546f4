"""Unit tests: PDU codec (against smpplib's encoder), text, WAL store, flow control, config, rating."""

import asyncio
import json
import os

import pytest
import smpplib.client
import smpplib.smpp

from jike.gateway import pdu, text
from jike.gateway.config import ConfigError, load_snapshot, parse_snapshot
from jike.gateway.policy import FlowControl
from jike.gateway.rating import compute_charges
from jike.gateway.store import Store
from jike.gateway.tests.helpers import BANK, account, base_config


def smpplib_pdu(command, **kw):
    client = smpplib.client.Client("127.0.0.1", 1, allow_unknown_opt_params=True)
    p = smpplib.smpp.make_pdu(command, client=client, **kw)
    return p.generate()


def test_decode_submit_sm_generated_by_smpplib():
    raw = smpplib_pdu(
        "submit_sm",
        source_addr="1069001",
        destination_addr="13912345678",
        short_message="【签名】你好".encode("utf-16-be"),
        data_coding=8,
        priority_flag=2,
        registered_delivery=1,
        esm_class=0,
    )
    frames = pdu.FrameReader().feed(raw)
    (cid, status, _seq, body) = frames[0]
    assert cid == pdu.SUBMIT_SM and status == 0
    sm = pdu.decode_sm(body)
    assert (sm.source_addr, sm.destination_addr, sm.priority_flag, sm.registered_delivery) == (
        "1069001",
        "13912345678",
        2,
        1,
    )
    assert sm.short_message.decode("utf-16-be") == "【签名】你好"
    # and our encoder reproduces smpplib's bytes exactly
    assert pdu.encode_sm(sm) == body


def test_tlvs_and_receipt_parsing():
    raw = smpplib_pdu(
        "deliver_sm",
        source_addr="13912345678",
        destination_addr="1069001",
        esm_class=4,
        short_message=b"id:ABC123 sub:001 dlvrd:001 submit date:2611221000 done date:2611221000 stat:DELIVRD err:000 text:",
        receipted_message_id="ABC123",
        message_state=2,
    )
    (_, _, _, body) = pdu.FrameReader().feed(raw)[0]
    sm = pdu.decode_sm(body)
    assert pdu.parse_receipt(sm) == ("ABC123", "DELIVRD", 0)
    # without TLVs the text is enough
    sm.tlvs = {}
    assert pdu.parse_receipt(sm) == ("ABC123", "DELIVRD", 0)


def test_frame_reader_handles_split_and_bad_lengths():
    a = pdu.pack(pdu.ENQUIRE_LINK, 0, 1)
    b = pdu.pack(pdu.SUBMIT_SM_RESP, 0, 2, b"X1\0")
    reader = pdu.FrameReader()
    data = a + b
    out = []
    for i in range(len(data)):
        out.extend(reader.feed(data[i : i + 1]))
    assert [(f[0], f[2]) for f in out] == [(pdu.ENQUIRE_LINK, 1), (pdu.SUBMIT_SM_RESP, 2)]
    with pytest.raises(pdu.PDUError):
        pdu.FrameReader().feed(b"\x00\x00\x00\x05" + b"\x00" * 12)


def test_bind_roundtrip():
    raw = smpplib_pdu("bind_transceiver", system_id="bank", password="pw")
    (cid, _, _, body) = pdu.FrameReader().feed(raw)[0]
    assert cid == pdu.BIND_TRANSCEIVER
    bind = pdu.decode_bind(body)
    assert (bind.system_id, bind.password) == ("bank", "pw")
    assert pdu.decode_bind(pdu.encode_bind(bind)) == bind


def test_gsm7_and_segments():
    s = "Hello {world} €5 @home"
    assert text.gsm7_decode(text.gsm7_encode(s)) == s
    assert text.is_gsm7(s) and not text.is_gsm7("你好")
    assert text.segments_for(160, 0, "x" * 160) == 1
    assert text.segments_for(161, 0, "x" * 161) == 2
    assert text.segments_for(140, 8, "你" * 70) == 1
    assert text.segments_for(142, 8, "你" * 71) == 2
    assert text.segments_for(2 * 135, 8, "你" * 135) == 3
    parts, dc = text.split_text("你" * 135, ref=7)
    assert dc == 8 and len(parts) == 3
    info, data = text.split_udh(parts[2])
    assert (info.ref, info.total, info.seq) == (7, 3, 3) and len(data) == 2
    # escape sequences are not split across parts
    parts, dc = text.split_text("a" * 152 + "€" + "b" * 10, ref=1)
    assert all(not p.endswith(b"\x1b") for p in parts)


def test_store_group_commit_recovery_and_torn_tail(tmp_path):
    async def scenario():
        store = Store(tmp_path, segment_bytes=300)
        assert list(store.recover()) == []
        store.open()
        acks = []
        for i in range(20):
            seg = store.append(("A", i, "x" * 20), lambda ok, i=i: acks.append((i, ok)))
            store.hold(seg)  # unfinished messages keep their segments
        await store.flush()
        assert acks == [(i, True) for i in range(20)]
        assert store.batches <= 3  # grouped, not one fsync per record
        await store.close()

    asyncio.run(scenario())
    store = Store(tmp_path, segment_bytes=300)
    recs = [r for _, r in store.recover() if r[0] == "A"]
    assert [r[1] for r in recs] == list(range(20))
    # a torn tail (crash mid-write) is cut off, earlier records survive
    last = store.segments()[-1]
    path = tmp_path / f"wal-{last:08d}.log"
    with open(path, "ab") as f:
        f.write(b"\x00\x00\x00\x30garbage")
    store2 = Store(tmp_path)
    assert [r[1] for _, r in store2.recover() if r[0] == "A"] == list(range(20))


def test_store_deletes_only_a_free_prefix(tmp_path):
    async def scenario():
        store = Store(tmp_path, segment_bytes=1)  # roll after every batch
        list(store.recover())
        store.open()
        segs = []
        for i in range(3):
            seg = store.append(("A", i))
            store.hold(seg)
            segs.append(seg)
            await store.flush()
        assert len(store.segments()) >= 3
        store.release(segs[1])  # the middle one: nothing may be deleted yet
        assert segs[0] in store.segments() and segs[1] in store.segments()
        store.release(segs[0])  # now the prefix up to the third is free
        assert segs[0] not in store.segments() and segs[1] not in store.segments()
        assert segs[2] in store.segments()
        await store.close()

    asyncio.run(scenario())


def test_flow_control_sliding_window_and_quota(tmp_path):
    snap = parse_snapshot(base_config({"a": 1}))
    acc = snap.accounts[BANK]
    acc.rate = 3
    acc.daily_quota = 5
    fc = FlowControl(tmp_path / "q.json")
    t = 1_800_000_000.0
    assert [fc.check(acc, t + i * 0.01) for i in range(4)] == [None, None, None, "rate"]
    assert fc.check(acc, t + 1.001) is None  # the first one left the window
    assert fc.check(acc, t + 1.005) == "rate"  # t+0.01, t+0.02, t+1.001 are in the window
    assert fc.check(acc, t + 2.0) is None  # the 5th of the day
    assert fc.check(acc, t + 3.0) == "quota"  # 5 used today
    fc.save()
    assert FlowControl(tmp_path / "q.json").check(acc, t + 3.0) == "quota"  # survives restart
    assert fc.check(acc, t + 86400) is None  # next day


def test_config_validation(tmp_path):
    cfg = base_config({"a": 1})
    account(cfg, BANK)["signature_mode"] = "sometimes"
    with pytest.raises(ConfigError):
        parse_snapshot(cfg)
    cfg = base_config({"a": 1}, routes=[{"prefix": "", "connectors": ["missing"]}])
    with pytest.raises(ConfigError):
        parse_snapshot(cfg)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(base_config({"a": 1}), ensure_ascii=False))
    snap = load_snapshot(path)
    assert snap.route("13912345678") == ("a",)
    assert snap.accounts["school"].check_password("123")
    assert not snap.accounts["school"].check_password("1234")
    assert snap.mo_account("10690011234") == BANK
    os.unlink(path)


def test_rating_by_charging_mode():
    snap = parse_snapshot(base_config({"a": 1}))
    usage = [
        ("E1", "PKG", "notification", 4, 5),  # 5 segments, allowance 3 -> 2 overage
        ("E2", "PER", "notification", 10, 12),
        ("E3", "CLS", "marketing", 2, 2),
        ("E3", "CLS", "notification", 3, 3),
        ("E4", "NOPE", "notification", 1, 1),
    ]
    charges = {c.enterprise_code: c for c in compute_charges("2026-11", usage, snap.products)}
    assert charges["E1"].amount_fen == 10000 + 2 * 5
    assert charges["E1"].detail["overage_segments"] == 2
    assert charges["E2"].amount_fen == 12 * 4
    assert charges["E3"].amount_fen == 2 * 8 + 3 * 5
    assert charges["E3"].messages == 5 and charges["E3"].segments == 5
    assert charges["E4"].amount_fen == 0 and charges["E4"].charging_mode == "unrated"
    # a package below its allowance still costs the monthly fee
    (low,) = compute_charges("2026-11", [("E5", "PKG", "notification", 1, 1)], snap.products)
    assert low.amount_fen == 10000


def test_receipt_encoder_matches_the_generic_encoder_and_smpplib():
    text = pdu.receipt_text("1a2b", "DELIVRD", 0, "2611221000", "2611221001")
    fast = pdu.encode_receipt("13912345678", "1069001", text, "1a2b", 2)
    generic = pdu.encode_sm(
        pdu.ShortMessage(
            source_addr="13912345678",
            destination_addr="1069001",
            esm_class=4,
            short_message=text,
            tlvs={pdu.TAG_RECEIPTED_MESSAGE_ID: b"1a2b\0", pdu.TAG_MESSAGE_STATE: b"\x02"},
        )
    )
    assert fast == generic
    client = smpplib.client.Client("127.0.0.1", 1, allow_unknown_opt_params=True)
    parsed = smpplib.smpp.parse_pdu(pdu.pack(pdu.DELIVER_SM, 0, 7, fast), client=client)
    assert parsed.receipted_message_id in (b"1a2b", "1a2b")
    assert parsed.short_message == text


def test_read_side_models_match_the_tables_the_gateway_writes():
    from jike.gateway.cdr import COLUMNS, DDL
    from jike.gateway.models import Cdr, MonthlyCharge

    assert [f.column for f in Cdr._meta.local_fields] == list(COLUMNS)
    assert not Cdr._meta.managed and Cdr._meta.db_table == "gateway_cdr"
    charge_cols = [f.column for f in MonthlyCharge._meta.local_fields if f.column]
    for col in charge_cols:
        assert col in DDL


@pytest.mark.parametrize(
    ("stat", "err", "state"), [("DELIVRD", 0, 2), ("UNDELIV", 1, 5), ("REJECTD", 69, 8), ("UNKNOWN", 1234, 7)]
)
def test_one_step_receipt_body_matches_the_two_step_encoder(stat, err, state):
    text = pdu.receipt_text("18f3a2b4c5d6", stat, err, "2611221000", "2611221001")
    two_step = pdu.encode_receipt("13912345678", "1069001", text, "18f3a2b4c5d6", state)
    one_step = pdu.receipt_body("13912345678", "1069001", "18f3a2b4c5d6", stat, err, "2611221000", "2611221001", state)
    assert one_step == two_step


def test_fast_receipt_parser_agrees_with_the_general_one():
    def receipt(**kw):
        return smpplib_pdu("deliver_sm", source_addr="13912345678", destination_addr="1069001", **kw)[16:]

    text = b"id:ABC123 sub:001 dlvrd:001 submit date:2611221000 done date:2611221000 stat:DELIVRD err:000 text:"
    bodies = [
        receipt(esm_class=4, short_message=text, receipted_message_id="ABC123", message_state=2),
        receipt(
            esm_class=4, short_message=text.replace(b"err:000", b"err:042"), receipted_message_id="X9", message_state=5
        ),
        receipt(esm_class=4, short_message=b"", message_payload=text, receipted_message_id="P1", message_state=2),
    ]
    for body in bodies:
        assert pdu.receipt_fields(body) == pdu.parse_receipt(pdu.decode_sm(body))
    # no TLVs (id and stat only in the text) or an unknown state: the general path decides
    assert pdu.receipt_fields(receipt(esm_class=4, short_message=text)) is None
    assert (
        pdu.receipt_fields(receipt(esm_class=4, short_message=text, receipted_message_id="A", message_state=99)) is None
    )
    # malformed: truncated TLV, trailing garbage
    assert pdu.receipt_fields(bodies[0][:-1]) is None
    assert pdu.receipt_fields(bodies[0] + b"\0") is None
    # MO (not a receipt)
    mo = receipt(esm_class=0, short_message="你好".encode("utf-16-be"), data_coding=8)
    assert pdu.receipt_fields(mo) == ("", "", -1)


def test_store_reads_batch_frames_and_older_per_record_frames(tmp_path):
    import marshal
    import struct
    import zlib

    def frame(obj):
        payload = marshal.dumps(obj)
        return struct.pack(">II", len(payload), zlib.crc32(payload)) + payload

    # a segment written by the previous version: one frame per record
    (tmp_path / "wal-00000001.log").write_bytes(frame(("A", 1, "x")) + frame(("S", 1, "c", "id1", 1.0)))

    async def scenario():
        store = Store(tmp_path)
        old = [r for _, r in store.recover()]
        assert old == [("A", 1, "x"), ("S", 1, "c", "id1", 1.0)]
        store.hold(1)  # message 1 is unfinished: its segment stays
        store.open()  # a new segment, one frame per group commit
        for i in range(2, 6):
            store.append(("A", i, "y"))
        await store.flush()
        await store.close()

    asyncio.run(scenario())
    data = (tmp_path / "wal-00000002.log").read_bytes()
    length, _crc = struct.unpack_from(">II", data)
    first = marshal.loads(data[8 : 8 + length])
    assert isinstance(first, list) and [r[1] for r in first if r[0] == "A"] == [2, 3, 4, 5], (
        "one group commit, one frame"
    )
    got = [r for _, r in Store(tmp_path).recover()]
    assert [r[1] for r in got if r[0] == "A"] == [1, 2, 3, 4, 5]
    # a torn batch is dropped whole (none of its records was acknowledged)
    (tmp_path / "wal-00000002.log").write_bytes(data[: 8 + length - 3])
    got = [r for _, r in Store(tmp_path).recover()]
    assert [r[1] for r in got if r[0] == "A"] == [1]
