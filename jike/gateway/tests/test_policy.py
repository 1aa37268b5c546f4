"""The policy pipeline end to end, each step with its own status code and counter."""

import time

import pytest
import smpplib.consts
import smpplib.gsm
from prometheus_client import generate_latest

from jike.gateway import pdu
from jike.gateway.metrics import registry_for
from jike.gateway.tests.helpers import BANK, SCHOOL, Esme, account, base_config


@pytest.fixture
def env(make_env):
    env = make_env()
    cfg = base_config(env.sim_ports())
    account(cfg, SCHOOL)["rate"] = 20
    account(cfg, SCHOOL)["whitelist_mode"] = True
    account(cfg, SCHOOL)["whitelist"] = [f"1390000{i:04d}" for i in range(100)]
    env.cfg = cfg
    env.start(cfg)
    return env


def rejected(env):
    return env.lt.call(lambda: dict(env.gw.stats.rejected))


def test_signature_added_when_missing(env):
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    seq = esme.submit_text("13912345678", "您尾号1234的账户入账500元")
    assert esme.status_of(seq) == 0
    got = env.wait_received(1)
    assert got[0].data.decode("utf-16-be") == "【某银行】您尾号1234的账户入账500元"
    # a GSM-7 message gets the Chinese signature too: the gateway switches it to UCS2
    seq = esme.submit("13912345678", b"Balance 100", data_coding=0)
    assert esme.status_of(seq) == 0
    got = env.wait_received(2)
    assert got[1].data_coding == 8
    assert got[1].data.decode("utf-16-be") == "【某银行】Balance 100"
    esme.close()


def test_signature_required(env):
    esme = Esme(env.port)
    esme.bind(SCHOOL, "123")
    bad = esme.submit_text("13900000001", "明天家长会")
    good_front = esme.submit_text("13900000002", "【某中学】明天家长会")
    good_back = esme.submit_text("13900000003", "明天家长会【某中学】")
    assert esme.status_of(bad) == pdu.JIKE_RSIGNATURE
    assert esme.status_of(good_front) == 0
    assert esme.status_of(good_back) == 0
    assert rejected(env) == {"signature": 1}
    esme.close()


def test_black_and_white_lists(env):
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    glob = esme.submit_text("13800000001", "【某银行】x")  # global black list
    own = esme.submit_text("+8613800000002", "【某银行】x")  # the account's own, normalised
    ok = esme.submit_text("13800000003", "【某银行】x")
    assert esme.status_of(glob) == pdu.JIKE_RBLACKLIST
    assert esme.status_of(own) == pdu.JIKE_RBLACKLIST
    assert esme.status_of(ok) == 0
    school = Esme(env.port)
    school.bind(SCHOOL, "123")
    outside = school.submit_text("13800000003", "【某中学】x")
    inside = school.submit_text("13900000050", "【某中学】x")
    assert school.status_of(outside) == pdu.JIKE_RWHITELIST
    assert school.status_of(inside) == 0
    assert rejected(env) == {"blacklist": 2, "whitelist": 1}
    esme.close()
    school.close()


def test_keywords_global_and_per_account(env):
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    a = esme.submit_text("13912345678", "【某银行】网上赌博")  # global
    b = esme.submit_text("13912345678", "【某银行】低息贷款")  # the bank's own list
    c = esme.submit_text("13912345678", "【某银行】您的信用卡账单")
    assert [esme.status_of(s) for s in (a, b, c)] == [pdu.JIKE_RKEYWORD, pdu.JIKE_RKEYWORD, 0]
    assert rejected(env) == {"keyword": 2}
    esme.close()


def test_burst_above_rate_is_throttled_for_exactly_the_excess(env):
    esme = Esme(env.port)
    esme.bind(SCHOOL, "123")
    t0 = time.monotonic()
    seqs = [esme.submit_text(f"1390000{i:04d}", "【某中学】通知") for i in range(35)]
    statuses = [r.status for r in esme.wait_resps(seqs)]
    assert time.monotonic() - t0 < 0.9, "the burst must fit inside one second for this check"
    assert statuses.count(0) == 20
    assert statuses.count(pdu.ESME_RTHROTTLED) == 15
    assert statuses[:20] == [0] * 20  # the excess is the tail of the burst
    assert rejected(env) == {"rate": 15}
    # nothing throttled was sent upstream, nothing accepted was dropped
    assert len(env.wait_received(20)) == 20
    time.sleep(1.05)
    assert esme.status_of(esme.submit_text("13900000001", "【某中学】再来")) == 0
    esme.close()


def test_daily_quota(make_env):
    env = make_env()
    cfg = base_config(env.sim_ports())
    account(cfg, BANK)["daily_quota"] = 3
    env.start(cfg)
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    seqs = [esme.submit_text("13912345678", f"【某银行】{i}") for i in range(5)]
    assert [r.status for r in esme.wait_resps(seqs)] == [0, 0, 0, pdu.ESME_RTHROTTLED, pdu.ESME_RTHROTTLED]
    assert env.lt.call(lambda: dict(env.gw.stats.rejected)) == {"quota": 2}
    esme.close()


def test_no_route_and_bad_priority(make_env):
    env = make_env()
    cfg = base_config(env.sim_ports(), routes=[{"prefix": "139", "connectors": ["smsc-a"]}])
    env.start(cfg)
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    a = esme.submit_text("13712345678", "【某银行】x")
    b = esme.submit_text("13912345678", "【某银行】x", priority_flag=3)
    assert esme.status_of(a) == pdu.ESME_RINVDSTADR
    assert esme.status_of(b) == 0
    # priority_flag 4 is outside 0..3 (smpplib refuses nothing here)
    c = esme.submit_text("13912345678", "【某银行】x", priority_flag=4)
    assert esme.status_of(c) == pdu.ESME_RINVPRTFLG
    esme.close()


def test_long_chinese_message_udh_and_payload(env):
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    text = "【某银行】" + "尊敬的客户，您的信用卡本期账单已出，请按时还款。" * 7  # 173 chars
    parts, encoding, esm_class = smpplib.gsm.make_parts(text)
    assert len(parts) == 3 and esm_class == smpplib.consts.SMPP_GSMFEAT_UDHI
    seqs = [
        esme.submit("13912345678", part, data_coding=encoding, esm_class=esm_class, registered_delivery=1)
        for part in parts
    ]
    assert [r.status for r in esme.wait_resps(seqs)] == [0, 0, 0]
    got = env.wait_received(3)
    assert len(got) == 3
    body = b"".join(r.data[6:] for r in got)  # strip the 6-octet UDH
    assert body.decode("utf-16-be") == text
    assert all(r.esm_class & 0x40 for r in got)
    # message_payload: one submit_sm, 100 UCS2 characters = 2 segments
    payload_text = "【某银行】" + "余" * 95
    seq = esme.submit(
        "13912345678", message_payload=payload_text.encode("utf-16-be"), data_coding=8, registered_delivery=1
    )
    assert esme.status_of(seq) == 0
    got = env.wait_received(4)
    assert got[3].data.decode("utf-16-be") == payload_text
    assert env.lt.call(lambda: env.gw.stats.accepted_segments) == 3 + 2
    # every part and the payload message get a receipt
    assert len(esme.wait_delivers(4)) == 4
    esme.close()


def test_mo_message_reaches_the_enterprise(env):
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw", "receiver")
    sim = env.sims["smsc-a"]
    env.lt.call(sim.inject_mo, "jike", "13912345678", "10690011234", "查询余额".encode("utf-16-be"), 8)
    delivers = esme.wait_delivers(1)
    assert delivers[0].source_addr == b"13912345678"
    assert delivers[0].destination_addr == b"10690011234"
    assert delivers[0].short_message.decode("utf-16-be") == "查询余额"
    assert env.lt.call(lambda: env.gw.stats.mo_out) == 1
    esme.close()


def test_priority_above_the_accounts_allowance_is_refused(make_env):
    env = make_env()
    cfg = base_config(env.sim_ports())
    account(cfg, BANK)["max_priority"] = 1  # bulk and normal only
    env.start(cfg)
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    seqs = [esme.submit_text("13912345678", f"【某银行】p{p}", priority_flag=p) for p in (0, 1, 2, 3)]
    assert [r.status for r in esme.wait_resps(seqs)] == [0, 0, pdu.ESME_RINVPRTFLG, pdu.ESME_RINVPRTFLG]
    # a flag outside 0..3 is still the plain priority step
    assert esme.status_of(esme.submit_text("13912345678", "【某银行】p4", priority_flag=4)) == pdu.ESME_RINVPRTFLG
    assert rejected(env) == {"priority_allowance": 2, "priority": 1}
    got = env.wait_received(2)
    time.sleep(0.1)
    assert sorted(r.data.decode("utf-16-be") for r in env.received()) == ["【某银行】p0", "【某银行】p1"]
    metrics = env.lt.call(lambda: generate_latest(registry_for(env.gw)).decode())
    assert 'jike_gateway_submit_rejected_total{reason="priority_allowance"} 2.0' in metrics
    assert len(got) == 2
    # the school's snapshot entry has no max_priority (an older snapshot): no limit
    school = Esme(env.port)
    school.bind(SCHOOL, "123")
    assert school.status_of(school.submit_text("13912345678", "【某中学】急", priority_flag=3)) == 0
    esme.close()
    school.close()
