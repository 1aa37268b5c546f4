"""Policy on messages the enterprise split itself (UDH): parts are acknowledged, held until the whole
text is in, judged on it (signature, keywords), then forwarded in part order or refused part by part
with a REJECTD receipt, a CDR and the reject counter. smpplib is the enterprise client."""

from __future__ import annotations

import time
from typing import Any

import pytest
import smpplib.consts
import smpplib.gsm

from jike.gateway import pdu, text
from jike.gateway.tests.helpers import BANK, SCHOOL, Esme, account, base_config

SIG = "【某银行】"


def udh_parts(chunks: list[str], ref: int = 7, gsm: bool = False) -> list[bytes]:
    """short_message octets of a message split by the enterprise at the given places."""
    enc = (lambda s: text.gsm7_encode(s)) if gsm else (lambda s: s.encode("utf-16-be"))
    return [text.udh_concat(ref, len(chunks), i + 1) + enc(c) for i, c in enumerate(chunks)]


def send_parts(esme: Esme, parts: list[bytes], dest: str = "13912345678", gsm: bool = False, **kw: Any) -> list[int]:
    kw.setdefault("registered_delivery", 1)
    return [
        esme.submit(dest, p, data_coding=0 if gsm else 8, esm_class=smpplib.consts.SMPP_GSMFEAT_UDHI, **kw)
        for p in parts
    ]


def upstream(env: Any) -> list[tuple[bytes, str | None, int]]:
    """What the SMSC got: (UDH, text, data_coding) per part, in arrival order."""
    out = []
    for r in env.received():
        udh = r.data[: r.data[0] + 1]
        out.append((udh, text.decode(r.data[len(udh) :], r.data_coding), r.data_coding))
    return out


def capture_cdrs(env: Any) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    sink = env.gw.cdr
    add = sink.add

    def recording(row: tuple[Any, ...], mid: int | None) -> None:
        rows.append(row)
        add(row, mid)

    env.lt.call(setattr, sink, "add", recording)
    return rows


def stats(env: Any, name: str) -> Any:
    return env.lt.call(lambda: dict(getattr(env.gw.stats, name)))


@pytest.fixture
def env(make_env):
    env = make_env(concat_timeout_s=30.0)
    env.start(base_config(env.sim_ports()))
    return env


def test_a_keyword_split_across_two_parts_is_caught(env):
    cdrs = capture_cdrs(env)
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    seqs = send_parts(esme, udh_parts([f"{SIG}您好，低息贷", "款请致电95555"]))
    resps = esme.wait_resps(seqs)
    assert [r.status for r in resps] == [0, 0]  # acknowledged (durably recorded) first
    ids = {r.message_id.decode() for r in resps}
    receipts = esme.wait_delivers(2)
    assert {r.receipted_message_id.decode().rstrip("\0") for r in receipts} == ids
    for r in receipts:
        assert b"stat:REJECTD" in r.short_message and b"err:404" in r.short_message
        assert r.message_state == 8  # REJECTED
    time.sleep(0.2)
    assert env.received() == []
    assert stats(env, "rejected") == {"keyword": 2}
    assert stats(env, "final") == {"REJECTD": 2}
    assert stats(env, "concat_groups") == {"complete": 1}
    rows = [r for r in cdrs if r[15] == "REJECTD"]
    assert len(rows) == 2
    assert all((r[16], r[17], r[18]) == (pdu.JIKE_RKEYWORD, "keyword", False) for r in rows)
    assert {r[0] for r in rows} == ids
    esme.close()


def test_parts_are_held_until_all_arrive_then_forwarded_in_part_order(env):
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    parts = udh_parts([f"{SIG}第一段", "第二段", "第三段"])
    seqs = send_parts(esme, [parts[2], parts[0]])
    assert [r.status for r in esme.wait_resps(seqs)] == [0, 0]
    time.sleep(0.3)
    assert env.received() == []
    assert env.lt.call(lambda: env.gw.status()["concat_held_parts"]) == 2
    assert esme.status_of(send_parts(esme, [parts[1]])[0]) == 0
    got = env.wait_received(3)
    assert [u[5] for u, _, _ in upstream(env)] == [1, 2, 3]  # UDH seq octet
    assert "".join(t for _, t, _ in upstream(env)) == f"{SIG}第一段第二段第三段"
    assert all(r.data == p for r, p in zip(got, parts, strict=True))  # untouched
    assert env.lt.call(lambda: env.gw.concat.held) == 0
    assert len(esme.wait_delivers(3)) == 3 and all(b"stat:DELIVRD" in d.short_message for d in esme.delivers)
    esme.close()


def test_added_signature_goes_into_part_one_when_it_fits(env):
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    parts = udh_parts(["您的账单已出，", "请按时还款。"])
    assert [r.status for r in esme.wait_resps(send_parts(esme, parts))] == [0, 0]
    env.wait_received(2)
    got = upstream(env)
    assert [(u, t) for u, t, _ in got] == [(parts[0][:6], f"{SIG}您的账单已出，"), (parts[1][:6], "请按时还款。")]
    assert env.received()[1].data == parts[1]  # part 2 is forwarded byte for byte
    esme.close()


def test_added_signature_reflows_a_full_split_over_the_same_parts(env):
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    body = "尊敬的客户，您的信用卡本期账单已出，请按时还款。" * 6  # 144 chars: 67 + 67 + 10
    parts, encoding, esm_class = smpplib.gsm.make_parts(body)
    assert len(parts) == 3
    seqs = [esme.submit("13912345678", p, data_coding=encoding, esm_class=esm_class) for p in parts]
    assert [r.status for r in esme.wait_resps(seqs)] == [0, 0, 0]
    env.wait_received(3)
    got = upstream(env)
    assert "".join(t for _, t, _ in got) == SIG + body
    assert [u for u, _, _ in got] == [p[:6] for p in parts]  # same UDH: reference, total, order
    assert all(len(r.data) <= 140 for r in env.received())
    # GSM parts and a Chinese signature: every part becomes UCS2, still two parts
    gsm = udh_parts(["Your bill is ready, ", "please pay on time."], ref=9, gsm=True)
    assert [r.status for r in esme.wait_resps(send_parts(esme, gsm, gsm=True))] == [0, 0]
    env.wait_received(5)
    got = upstream(env)[3:]
    assert [(t, dc) for _, t, dc in got] == [(f"{SIG}Your bill is ready, ", 8), ("please pay on time.", 8)]
    esme.close()


def test_added_signature_that_does_not_fit_refuses_every_part(env):
    cdrs = capture_cdrs(env)
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    parts, encoding, esm_class = smpplib.gsm.make_parts("余" * 134)  # two full UCS2 parts
    seqs = [esme.submit("13912345678", p, data_coding=encoding, esm_class=esm_class, registered_delivery=1)
            for p in parts]  # fmt: skip
    assert [r.status for r in esme.wait_resps(seqs)] == [0, 0]
    receipts = esme.wait_delivers(2)
    assert all(b"stat:REJECTD" in r.short_message and b"err:401" in r.short_message for r in receipts)
    assert stats(env, "rejected") == {"signature": 2}
    assert [r[17] for r in cdrs if r[15] == "REJECTD"] == ["signature", "signature"]
    time.sleep(0.1)
    assert env.received() == []
    esme.close()


def test_required_signature_is_checked_on_the_whole_text(make_env):
    env = make_env()
    cfg = base_config(env.sim_ports())
    account(cfg, SCHOOL)["keywords"] = ["补课"]
    env.start(cfg)
    esme = Esme(env.port)
    esme.bind(SCHOOL, "123")
    # signature at the end of the last part: fine; no signature anywhere: every part refused
    ok = send_parts(esme, udh_parts(["明天下午三点", "召开家长会【某中学】"], ref=1))
    bad = send_parts(esme, udh_parts(["明天下午三点", "召开家长会"], ref=2))
    assert [r.status for r in esme.wait_resps(ok + bad)] == [0, 0, 0, 0]
    env.wait_received(2)
    time.sleep(0.2)
    assert "".join(t for _, t, _ in upstream(env)) == "明天下午三点召开家长会【某中学】"
    assert stats(env, "rejected") == {"signature": 2}
    # the account's own keyword, split over parts
    kw = send_parts(esme, udh_parts(["【某中学】周末补", "课通知"], ref=3))
    assert [r.status for r in esme.wait_resps(kw)] == [0, 0]
    deadline = time.monotonic() + 5
    while stats(env, "rejected").get("keyword") != 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stats(env, "rejected") == {"signature": 2, "keyword": 2}
    esme.close()


def test_after_the_timeout_a_group_is_judged_on_what_is_held(make_env):
    env = make_env(concat_timeout_s=0.4)
    env.start(base_config(env.sim_ports()))
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    # two of three parts, then nothing: judged on what is there after the timeout and forwarded
    t0 = time.monotonic()
    send_parts(esme, udh_parts([f"{SIG}甲", "乙", "丙"], ref=1)[:2])
    env.wait_received(2)
    assert 0.35 <= time.monotonic() - t0 < 5.0
    assert stats(env, "concat_groups") == {"timeout": 1}
    # part 1 missing, no signature and the account adds one: nothing to put it in -> refused
    send_parts(esme, udh_parts(["甲", "乙"], ref=2)[1:])
    deadline = time.monotonic() + 5
    while stats(env, "rejected") != {"signature": 1} and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stats(env, "rejected") == {"signature": 1}
    assert len(env.received()) == 2
    esme.close()


def test_more_held_parts_than_the_cap_judge_the_oldest_group_at_once(make_env):
    env = make_env(concat_timeout_s=30.0, concat_max_parts=3)
    env.start(base_config(env.sim_ports()))
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    for ref in (11, 12, 13, 14):
        send_parts(esme, udh_parts([f"{SIG}{ref}", "尾"], ref=ref)[:1], registered_delivery=0)
    assert len(env.wait_received(1)) == 1
    time.sleep(0.2)
    assert [t for _, t, _ in upstream(env)] == [f"{SIG}11"]
    assert env.lt.call(lambda: env.gw.concat.held) == 3
    assert stats(env, "concat_groups") == {"overflow": 1}
    esme.close()


def test_accounts_with_nothing_to_check_are_not_held(make_env):
    env = make_env()
    cfg = base_config(env.sim_ports(), keywords=[])
    account(cfg, BANK).update(signature_mode="none", keywords=[])
    env.start(cfg)
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    parts = udh_parts(["第一段", "第二段", "第三段"])
    send_parts(esme, parts[:2])
    assert len(env.wait_received(2)) == 2  # no wait for part 3
    assert env.lt.call(lambda: env.gw.concat.held) == 0
    esme.close()
