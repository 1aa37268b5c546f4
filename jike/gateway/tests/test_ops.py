"""Operations: CDRs to PostgreSQL and Parquet, rating, reload without dropping binds, metrics, status."""

import json
import os
import time
import urllib.request
import uuid

import psycopg
import pyarrow.parquet as pq
import pytest

from jike.gateway import cli, pdu
from jike.gateway.cdr import ensure_schema
from jike.gateway.config import load_snapshot
from jike.gateway.rating import rate_month
from jike.gateway.tests.helpers import BANK, ENT_BANK, ENT_SCHOOL, SCHOOL, Esme, base_config

BASE_DSN = os.environ.get("JIKE_GATEWAY_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def pg_dsn():
    name = f"jike_gateway_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(BASE_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = BASE_DSN.rsplit("/", 1)[0] + "/" + name
    ensure_schema(dsn)
    yield dsn
    with psycopg.connect(BASE_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def wait_for(fn, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.05)
    return fn()


def test_cdrs_in_postgres_and_parquet_then_rating(make_env, pg_dsn, tmp_path):
    env = make_env(cdr_dsn=pg_dsn, parquet_dir=str(tmp_path / "parquet"))
    env.start(base_config(env.sim_ports()))
    bank = Esme(env.port)
    bank.bind(BANK, "bankpw")
    school = Esme(env.port)
    school.bind(SCHOOL, "123")
    seqs = [bank.submit_text(f"139{i:08d}", f"【某银行】{i}", registered_delivery=1) for i in range(6)]
    long_payload = ("【某银行】" + "长" * 95).encode("utf-16-be")  # 2 segments
    seqs.append(bank.submit("13912345678", message_payload=long_payload, data_coding=8))
    seqs.append(bank.submit_text("13800000001", "【某银行】black"))  # rejected: still a CDR
    assert [r.status for r in bank.wait_resps(seqs)][-1] == pdu.JIKE_RBLACKLIST
    sseqs = [school.submit_text(f"137{i:08d}", f"【某中学】{i}", service_type="marketing") for i in range(5)]
    assert all(r.status == 0 for r in school.wait_resps(sseqs))

    def count():
        with psycopg.connect(pg_dsn) as c:
            return c.execute("SELECT count(*) FROM gateway_cdr WHERE status <> ''").fetchone()[0] >= 13

    assert wait_for(count)
    with psycopg.connect(pg_dsn) as c:
        rows = c.execute(
            "SELECT system_id, status, segments, billable, reason, route, smsc_message_id <> '' "
            "FROM gateway_cdr ORDER BY message_id"
        ).fetchall()
    assert len(rows) == 13  # one per message, rejected ones included
    bank_rows = [r for r in rows if r[0] == BANK]
    assert sorted(r[1] for r in bank_rows) == ["DELIVRD"] * 7 + ["REJECTED"]
    assert sum(r[2] for r in bank_rows if r[3]) == 6 + 2
    assert [r[4] for r in bank_rows if r[1] == "REJECTED"] == ["blacklist"]
    assert all(r[5] == "smsc-a" and r[6] for r in bank_rows if r[3])
    # every message is finished and released once its receipt reached the enterprise
    assert len(bank.wait_delivers(6)) == 6
    assert wait_for(lambda: env.lt.call(lambda: len(env.gw.messages)) == 0)

    month = time.strftime("%Y-%m", time.gmtime(time.time() + 8 * 3600))
    charges = {c.enterprise_code: c for c in rate_month(pg_dsn, month, load_snapshot(env.config_path).products)}
    assert charges[ENT_BANK].charging_mode == "per_message"
    assert charges[ENT_BANK].segments == 8 and charges[ENT_BANK].amount_fen == 8 * 4
    # school: package of 3 segments for 100.00, 2 over at 0.05
    assert charges[ENT_SCHOOL].amount_fen == 10000 + 2 * 5
    with psycopg.connect(pg_dsn) as c:
        stored = c.execute("SELECT enterprise_code, amount_fen FROM gateway_charge ORDER BY 1").fetchall()
    assert stored == sorted([(ENT_BANK, 32), (ENT_SCHOOL, 10010)])

    env.close()  # flushes the Parquet buffer
    files = list((tmp_path / "parquet").rglob("*.parquet"))
    assert files
    table = pq.read_table(files[0])
    assert table.num_rows == 13 and "segments" in table.column_names
    bank.close()
    school.close()


def test_reload_keeps_binds_and_applies_new_rules(make_env):
    env = make_env()
    cfg = base_config(env.sim_ports())
    env.start(cfg)
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    assert esme.status_of(esme.submit_text("13912345678", "【某银行】理财产品")) == 0
    cfg["keywords"] = ["赌博", "理财"]
    cfg["version"] = "test-2"
    env.write_config(cfg)
    admin = f"http://127.0.0.1:{env.gw.admin_port}"
    assert cli.main(["gateway-status", "--admin", admin, "--reload"]) == 0
    assert env.lt.call(lambda: env.gw.snapshot.version) == "test-2"
    # same bind, new rule
    assert esme.status_of(esme.submit_text("13912345678", "【某银行】理财产品")) == pdu.JIKE_RKEYWORD
    # a broken snapshot is refused and the old one stays
    env.config_path.write_text("{not json")
    req = urllib.request.Request(admin + "/reload", method="POST", data=b"")
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(req, timeout=5)
    assert env.lt.call(lambda: env.gw.snapshot.version) == "test-2"
    assert esme.status_of(esme.submit_text("13912345678", "【某银行】ok")) == 0
    esme.close()


def test_reload_by_file_poll(make_env):
    env = make_env(reload_poll_s=0.2)
    cfg = base_config(env.sim_ports())
    env.start(cfg)
    cfg["version"] = "polled"
    time.sleep(0.05)
    env.write_config(cfg)
    assert wait_for(lambda: env.lt.call(lambda: env.gw.snapshot.version) == "polled", timeout=5)


def test_metrics_and_status(make_env, capsys):
    env = make_env()
    env.start(base_config(env.sim_ports()))
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    esme.status_of(esme.submit_text("13912345678", "【某银行】ok"))
    esme.status_of(esme.submit_text("13912345678", "【某银行】赌博"))
    admin = f"http://127.0.0.1:{env.gw.admin_port}"
    body = urllib.request.urlopen(admin + "/metrics", timeout=5).read().decode()
    assert 'jike_gateway_submit_rejected_total{reason="keyword"} 1.0' in body
    assert "jike_gateway_submit_accepted_total 1.0" in body
    assert 'jike_gateway_connector_up{connector="smsc-a",state="bound"} 1.0' in body
    assert 'jike_gateway_queue_depth{connector="smsc-a",queue="emergency"}' in body
    assert "jike_gateway_submit_latency_seconds_bucket" in body
    status = json.loads(urllib.request.urlopen(admin + "/status", timeout=5).read())
    assert status["binds"] == {BANK: 1}
    assert status["connectors"]["smsc-a"]["state"] == "bound"
    assert cli.main(["gateway-status", "--admin", admin]) == 0
    out = capsys.readouterr().out
    assert "smsc-a" in out and "bound" in out and "binds: bank=1" in out
    assert cli.main(["gateway-status", "--admin", "http://127.0.0.1:1"]) == 1
    esme.close()


def test_check_config_cli(tmp_path, capsys):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(base_config({"a": 1}), ensure_ascii=False))
    assert cli.main(["gateway", "check-config", "--config", str(path)]) == 0
    assert "2 accounts" in capsys.readouterr().out
    path.write_text(json.dumps(base_config({"a": 1}, routes=[{"prefix": "", "connectors": ["x"]}])))
    assert cli.main(["gateway", "check-config", "--config", str(path)]) == 1


def test_reload_replaces_a_changed_connector_without_losing_messages(make_env):
    from jike.gateway.simulator import SimConfig

    env = make_env(sims={"smsc-a": SimConfig(port=0, latency_ms=30), "smsc-b": SimConfig(port=0)})
    ports = env.sim_ports()
    cfg = base_config({"smsc-a": ports["smsc-a"]})
    cfg["connectors"][0].update(binds=1, window=5)
    env.start(cfg)
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    seqs = [esme.submit_text(f"139{i:08d}", f"【某银行】{i}") for i in range(40)]
    assert all(r.status == 0 for r in esme.wait_resps(seqs))
    # while messages are queued and in flight, point the connector at the other SMSC
    cfg["connectors"][0]["port"] = ports["smsc-b"]
    env.write_config(cfg)
    assert env.lt.run(env.gw.reload())
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        got = {r.data.decode("utf-16-be") for r in env.received("smsc-a") + env.received("smsc-b")}
        if len(got) == 40:
            break
        time.sleep(0.05)
    assert got == {f"【某银行】{i}" for i in range(40)}
    assert env.received("smsc-b"), "the replaced connector must now send to the new SMSC"
    esme.close()
