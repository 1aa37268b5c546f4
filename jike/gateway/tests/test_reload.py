"""Snapshot loading and reload: keyword patterns compiled once per keyword set, the JSON parsed in
small steps, and Gateway.reload() parsing in a worker thread while the event loop keeps running."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from jike.gateway import config, core
from jike.gateway.config import ConfigError, Settings, load_snapshot, loads_stepwise, parse_snapshot
from jike.gateway.core import Gateway
from jike.gateway.tests.helpers import BANK, account, base_config, many_accounts_config


def test_accounts_sharing_a_keyword_set_share_one_compiled_pattern(monkeypatch):
    calls: list[tuple[str, ...]] = []
    real = config._keyword_re

    def counting(words):
        calls.append(tuple(words))
        return real(words)

    monkeypatch.setattr(config, "_keyword_re", counting)
    monkeypatch.setattr(config, "_keyword_cache", {})  # nothing left from other tests' snapshots
    cfg = many_accounts_config({"smsc-a": 1}, 200, shared_sets=5, unique_every=0)
    snap = parse_snapshot(cfg)
    account_sets = {a.keywords for a in snap.accounts.values()}
    # 5 shared sets + the bank's own + the school's empty one + the global list: compiled once each
    assert len(calls) == len(account_sets) + 1 == 8
    pats = {id(a.keyword_re) for a in snap.accounts.values() if a.keywords == snap.accounts["acc000001"].keywords}
    assert len(pats) == 1
    assert snap.accounts["acc000001"].keyword_re.search(f"x {snap.accounts['acc000001'].keywords[3]} y")
    # a reload compiles only what is new: here one changed account
    calls.clear()
    account(cfg, "acc000007")["keywords"] = ["新词"]
    snap2 = parse_snapshot(cfg)
    assert calls == [("新词",), tuple(cfg["keywords"])]
    assert snap2.accounts["acc000002"].keyword_re is snap.accounts["acc000002"].keyword_re
    assert snap2.accounts["acc000007"].keyword_re.search("有新词")


def test_stepwise_json_equals_json_loads():
    cfg = many_accounts_config({"smsc-a": 1}, 50)
    for indent in (None, 1):
        text = json.dumps(cfg, ensure_ascii=False, indent=indent)
        assert loads_stepwise(text) == json.loads(text)
    for good in ("{}", "[]", ' { "a" : [ ] , "b":{ } } ', '{"a":[1,{"b":[2,[3, {"c": null}]]}]}', '"x"', "1.5"):
        assert loads_stepwise(good) == json.loads(good)
    for bad in ('{"a":1,}', '{"a" 1}', "[1 2]", '{"a":[1,2]} x', "{a:1}", "", "[", '{"e":[{"a":[{"x":1},]}]}'):
        with pytest.raises(json.JSONDecodeError):
            loads_stepwise(bad)


def test_load_snapshot_reads_what_it_wrote(tmp_path):
    cfg = many_accounts_config({"smsc-a": 1}, 30)
    path = tmp_path / "g.json"
    path.write_text(json.dumps(cfg, ensure_ascii=False, indent=1), encoding="utf-8")
    snap = load_snapshot(path)
    assert len(snap.accounts) == 32 and snap.version == "test-1"
    assert "enterprises" not in snap.raw and snap.raw["version"] == "test-1"
    path.write_bytes(b'{"enterprises": [\xff]}')
    with pytest.raises(ConfigError, match="cannot read snapshot"):
        load_snapshot(path)


def test_reload_parses_off_the_event_loop(tmp_path, monkeypatch):
    """While a (slow) snapshot load runs, the loop keeps ticking; the swap happens at the end."""
    path = tmp_path / "g.json"
    cfg = base_config({"smsc-a": 1}, connectors=[], routes=[])
    path.write_text(json.dumps(cfg, ensure_ascii=False))
    first = load_snapshot(path)
    real = config.load_snapshot

    def slow_load(p):
        time.sleep(0.5)  # stands in for parsing a large snapshot (a C call holds the GIL less)
        return real(p)

    monkeypatch.setattr(core, "load_snapshot", slow_load)

    async def scenario() -> tuple[int, float, bool]:
        gw = Gateway(Settings(data_dir=str(tmp_path / "data"), admin_port=-1), first, str(path))
        ticks = 0
        longest = 0.0

        async def ticker() -> None:
            nonlocal ticks, longest
            last = time.perf_counter()
            while True:
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                ticks += 1
                longest = max(longest, now - last)
                last = now

        task = asyncio.get_running_loop().create_task(ticker())
        await asyncio.sleep(0.02)
        account(cfg, BANK)["rate"] = 7
        path.write_text(json.dumps(cfg, ensure_ascii=False))
        ticks, longest = 0, 0.0
        reload = asyncio.get_running_loop().create_task(gw.reload())
        await asyncio.sleep(0.2)
        still_old = gw.snapshot is first  # half-way: the old snapshot serves
        ok = await reload
        task.cancel()
        assert gw.snapshot.accounts[BANK].rate == 7 and gw.stats.reloads == 1
        return ticks, longest, still_old and ok

    ticks, longest, ok = asyncio.run(scenario())
    assert ok
    assert ticks >= 20, f"the loop ticked only {ticks} times during a 0.5 s reload"
    assert longest < 0.4


def test_reload_of_a_bad_file_keeps_the_old_snapshot(tmp_path):
    path = tmp_path / "g.json"
    cfg = base_config({"smsc-a": 1}, connectors=[], routes=[])
    path.write_text(json.dumps(cfg))
    first = load_snapshot(path)

    async def scenario() -> Gateway:
        gw = Gateway(Settings(data_dir=str(tmp_path / "data"), admin_port=-1), first, str(path))
        account(cfg, BANK)["allowed_ips"] = ["not-an-ip"]
        path.write_text(json.dumps(cfg))
        with pytest.raises(ConfigError, match="bank: 'not-an-ip'"):
            load_snapshot(path)
        assert await gw.reload() is False
        path.write_text("{")
        assert await gw.reload() is False
        return gw

    gw = asyncio.run(scenario())
    assert gw.snapshot is first and gw.stats.reload_errors == 2


def test_max_priority_and_ordering_are_read_with_defaults_for_older_snapshots():
    cfg = base_config({"smsc-a": 1})
    account(cfg, BANK).update(max_priority=1, ordering="account")
    snap = parse_snapshot(cfg)
    assert (snap.accounts[BANK].max_priority, snap.accounts[BANK].ordering) == (1, "account")
    assert (snap.accounts["school"].max_priority, snap.accounts["school"].ordering) == (3, "destination")
    for bad in (4, -1, "2", True, None):
        account(cfg, BANK)["max_priority"] = bad
        with pytest.raises(ConfigError, match="max_priority must be 0-3"):
            parse_snapshot(cfg)
