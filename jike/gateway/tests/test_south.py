"""South side: priority, routing and failover, upstream throttling, reconnects."""

import time

from jike.gateway import pdu
from jike.gateway.simulator import SimConfig
from jike.gateway.tests.helpers import BANK, SCHOOL, Esme, account, base_config, receipt_id


def test_emergency_overtakes_bulk(make_env):
    env = make_env(sims={"smsc-a": SimConfig(port=0, latency_ms=30)})
    cfg = base_config(env.sim_ports())
    cfg["connectors"][0].update(binds=1, window=1)
    env.start(cfg)
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    bulk = [esme.submit_text(f"139{i:08d}", f"【某银行】营销{i}", priority_flag=0) for i in range(30)]
    assert all(r.status == 0 for r in esme.wait_resps(bulk))
    urgent = esme.submit_text("13900009999", "【某银行】紧急：账户异常", priority_flag=3)
    assert esme.status_of(urgent) == 0
    sent_before = len(env.received())  # bulk messages already at the SMSC when it was accepted
    got = env.wait_received(31, timeout=15)
    order = [r.destination for r in got]
    pos = order.index("13900009999")
    # window 1: only the bulk message in flight (and any that reached the SMSC before the urgent
    # one was accepted) may go first; every other queued bulk message is overtaken
    assert pos <= sent_before + 1, (pos, sent_before)
    assert pos < 30 - 10, "it must overtake most of the bulk queue"
    assert len(got) == 31
    esme.close()


def test_routes_by_number_segment(make_env):
    env = make_env(sims={"smsc-a": SimConfig(port=0), "smsc-b": SimConfig(port=0)})
    cfg = base_config(
        env.sim_ports(),
        routes=[
            {"prefixes": ["138", "1391"], "connectors": ["smsc-a"]},
            {"prefix": "139", "connectors": ["smsc-b"]},
        ],
    )
    env.start(cfg)
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    seqs = [esme.submit_text(d, "【某银行】x") for d in ("13800000005", "13912345678", "13922345678")]
    assert [r.status for r in esme.wait_resps(seqs)] == [0, 0, 0]
    a = env.wait_received(2, "smsc-a")
    b = env.wait_received(1, "smsc-b")
    assert sorted(r.destination for r in a) == ["13800000005", "13912345678"]
    assert [r.destination for r in b] == ["13922345678"]
    esme.close()


def test_failover_to_the_next_connector(make_env):
    env = make_env(sims={"smsc-a": SimConfig(port=0), "smsc-b": SimConfig(port=0)})
    ports = env.sim_ports()
    env.start(base_config(ports))
    esme = Esme(env.port, timeout=10)
    esme.bind(BANK, "bankpw", "transceiver")
    first = [esme.submit_text(f"139{i:08d}", "【某银行】前", registered_delivery=1) for i in range(10)]
    assert all(r.status == 0 for r in esme.wait_resps(first))
    assert len(env.wait_received(10, "smsc-a")) == 10
    # the primary SMSC goes away: its port closes and its binds drop
    env.lt.run(env.sims["smsc-a"].stop())
    time.sleep(0.1)
    second = [esme.submit_text(f"137{i:08d}", "【某银行】后", registered_delivery=1) for i in range(10)]
    resps = esme.wait_resps(second)
    assert all(r.status == 0 for r in resps)
    got_b = env.wait_received(10, "smsc-b", timeout=10)
    assert sorted(r.destination for r in got_b) == sorted(f"137{i:08d}" for i in range(10))
    # all twenty receipts come back, correlated to the enterprise's ids
    delivers = esme.wait_delivers(20, timeout=10)
    ids = {r.message_id.decode() for r in esme.resps.values()}
    assert {receipt_id(d) for d in delivers} == ids
    status = env.lt.call(lambda: env.gw.status()["connectors"])
    assert status["smsc-a"]["state"] == "down" and status["smsc-b"]["state"] == "bound"
    esme.close()


def test_upstream_throttling_keeps_each_accounts_order(make_env):
    sim = SimConfig(port=0, max_tps=100, throttle_hold_ms=100)
    env = make_env(sims={"smsc-a": sim})
    cfg = base_config(env.sim_ports())
    cfg["connectors"][0].update(binds=1, window=8, throttle_backoff_s=0.05)
    env.start(cfg)
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    n = 300
    seqs = [esme.submit_text("13912345678", f"【某银行】{i:04d}") for i in range(n)]
    assert all(r.status == 0 for r in esme.wait_resps(seqs))
    got = env.wait_received(n, timeout=20)
    assert len(got) == n
    assert env.lt.call(lambda: env.sims["smsc-a"].throttled) > 0, "the SMSC must have throttled"
    texts = [r.data.decode("utf-16-be") for r in got]
    assert texts == [f"【某银行】{i:04d}" for i in range(n)]
    esme.close()


def test_upstream_errors_retry_then_reject_with_receipt(make_env):
    env = make_env(sims={"smsc-a": SimConfig(port=0, error_rate=1.0, error_status=pdu.ESME_RINVDSTADR, receipts=False)})
    env.start(base_config(env.sim_ports()))
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    seq = esme.submit_text("13912345678", "【某银行】x", registered_delivery=1)
    resp = esme.wait_resps([seq])[0]
    assert resp.status == 0  # accepted by the gateway; refused upstream afterwards
    delivers = esme.wait_delivers(1)
    assert receipt_id(delivers[0]) == resp.message_id.decode()
    assert b"stat:REJECTD" in delivers[0].short_message
    esme.close()


def test_connector_reconnects_after_the_smsc_drops_binds(make_env):
    env = make_env()
    env.start(base_config(env.sim_ports()))
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    assert esme.status_of(esme.submit_text("13912345678", "【某银行】1")) == 0
    env.wait_received(1)
    env.lt.call(env.sims["smsc-a"].drop_connections)
    seqs = [esme.submit_text("13912345678", f"【某银行】{i}") for i in range(2, 12)]
    assert all(r.status == 0 for r in esme.wait_resps(seqs))
    got = env.wait_received(11)
    assert len(got) == 11
    assert env.lt.call(lambda: env.gw.connectors["smsc-a"].reconnects) >= 1
    esme.close()


def test_overload_answers_msgqful_never_grows(make_env):
    env = make_env(max_pending=5)
    cfg = base_config({"dead": 1})  # nothing listens on port 1: messages stay queued
    env.start(cfg)
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    seqs = [esme.submit_text("13912345678", f"【某银行】{i}") for i in range(8)]
    statuses = [r.status for r in esme.wait_resps(seqs)]
    assert statuses == [0] * 5 + [pdu.ESME_RMSGQFUL] * 3
    esme.close()


def _ordered_run(env, system_id, password, sig, dests, n):
    """Submit n numbered messages round-robin over dests; return (texts per destination at the SMSC)."""
    esme = Esme(env.port, timeout=10)
    esme.bind(system_id, password)
    seqs = [esme.submit_text(dests[i % len(dests)], f"{sig}{i:04d}") for i in range(n)]
    assert all(r.status == 0 for r in esme.wait_resps(seqs, timeout=20))
    got = env.wait_received(n, timeout=30)
    esme.close()
    assert len(got) == n
    return got


def test_random_upstream_throttling_keeps_order_per_destination(make_env):
    # The SMSC throttles a random 25 % of submit_sm *without* holding the throttle, answering
    # 2 ms later, so the PDUs after a throttled one are already in flight and mostly accepted:
    # exactly the case where re-queueing the throttled message alone delivers out of order.
    sim = SimConfig(port=0, latency_ms=2, throttle_rate=0.25, seed=7)
    env = make_env(sims={"smsc-a": sim})
    cfg = base_config(env.sim_ports())
    cfg["connectors"][0].update(binds=2, window=16, throttle_backoff_s=0.002)
    env.start(cfg)
    dests = [f"1391234567{d}" for d in range(4)]
    n = 240
    got = _ordered_run(env, BANK, "bankpw", "【某银行】", dests, n)
    assert env.lt.call(lambda: env.sims["smsc-a"].throttled) > 10, "the SMSC must have throttled"
    for k, dest in enumerate(dests):
        texts = [r.data.decode("utf-16-be") for r in got if r.destination == dest]
        assert texts == [f"【某银行】{i:04d}" for i in range(k, n, len(dests))], dest
    # The last submit_sm_resps may still be on their way when the messages are counted: the
    # connector must drain, within a bounded wait, with nothing parked or in flight.
    deadline = time.monotonic() + 5
    while True:
        status = env.lt.call(lambda: env.gw.status()["connectors"]["smsc-a"])
        if (status["parked"], status["inflight"]) == (0, 0) or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert status["parked"] == 0 and status["inflight"] == 0


def test_account_wide_ordering_under_random_throttling(make_env):
    # `"ordering": "account"`: one message of the account in flight at a time, so even messages
    # to different numbers reach the SMSC in submission order
    sim = SimConfig(port=0, latency_ms=1, throttle_rate=0.25, seed=11)
    env = make_env(sims={"smsc-a": sim})
    cfg = base_config(env.sim_ports())
    cfg["connectors"][0].update(binds=2, window=16, throttle_backoff_s=0.002)
    account(cfg, SCHOOL)["ordering"] = "account"
    env.start(cfg)
    dests = [f"1370000{i:04d}" for i in range(120)]
    n = 120
    got = _ordered_run(env, SCHOOL, "123", "【某中学】", dests, n)
    assert env.lt.call(lambda: env.sims["smsc-a"].throttled) > 5, "the SMSC must have throttled"
    assert [r.data.decode("utf-16-be") for r in got] == [f"【某中学】{i:04d}" for i in range(n)]
