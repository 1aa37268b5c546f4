"""Snapshot reload with 10,000 accounts: load time, and how long the event loop stalls.

    .venv/bin/python -m bench.gateway.reload [--accounts 10000] [--unique-every 10] [--repeat 3]

Writes a generated snapshot (jike.gateway.tests.helpers.many_accounts_config, written the way
`jike gateway-snapshot` writes it) to a temporary directory, builds a Gateway on it (not started:
no sockets), and runs on one event loop a ticker (asyncio.sleep(0.001) in a loop) while it
reloads. It prints, for each round, the reload's duration and the longest gap between two ticks
(the time the loop could not serve anybody), for two ways of loading (GC tuned as `jike gateway`
tunes it, cli.tune_gc):

* inline    load_snapshot called on the loop (what Gateway.reload did before)
* thread    Gateway.reload(): parse in a worker thread, swap on the loop

The first `load_snapshot` of the process compiles every keyword set ("cold"); later loads reuse
the patterns of the previous snapshot ("warm"); "cold thread" is a reload with no pattern cached.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import tempfile
import time
from pathlib import Path

from jike.gateway import config
from jike.gateway.cli import tune_gc
from jike.gateway.config import Settings, load_snapshot
from jike.gateway.core import Gateway
from jike.gateway.tests.helpers import many_accounts_config


async def _ticking(work: object) -> tuple[float, float]:
    gaps = [0.0]
    stop = False

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.get_running_loop().create_task(ticker())
    await asyncio.sleep(0.05)
    t0 = time.perf_counter()
    if asyncio.iscoroutine(work):
        await work
    else:
        work()  # type: ignore[operator]
    took = time.perf_counter() - t0
    stop = True
    await task
    return took, max(gaps)


async def run(path: Path, data_dir: Path, repeat: int) -> None:
    t0 = time.perf_counter()
    snap = load_snapshot(path)
    print(f"cold load_snapshot: {time.perf_counter() - t0:.3f} s ({len(snap.accounts)} accounts)")
    gw = Gateway(Settings(data_dir=str(data_dir), admin_port=-1), snap, str(path))
    tune_gc()  # as `jike gateway` does after start-up
    config._keyword_cache.clear()
    re.purge()
    took, gap = await _ticking(gw.reload())
    print(f"cold thread: reload {took:.3f} s, longest loop stall {gap * 1000:.1f} ms (no compiled pattern cached)")
    for i in range(repeat):
        took, gap = await _ticking(lambda: load_snapshot(path))
        print(f"round {i + 1} inline: load {took:.3f} s, longest loop stall {gap * 1000:.1f} ms")
        took, gap = await _ticking(gw.reload())
        print(f"round {i + 1} thread: reload {took:.3f} s, longest loop stall {gap * 1000:.1f} ms")
    assert gw.stats.reloads == repeat + 1 and gw.snapshot is not snap


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=10_000)
    ap.add_argument("--unique-every", type=int, default=10, help="every n-th account has its own keyword set")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="jike-reload-") as tmp:
        cfg = many_accounts_config({"smsc-a": 2776}, a.accounts, unique_every=a.unique_every)
        path = Path(tmp) / "gateway.json"
        path.write_text(json.dumps(cfg, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"snapshot: {a.accounts} accounts, {path.stat().st_size / 1e6:.1f} MB; load average {os.getloadavg()}")
        asyncio.run(run(path, Path(tmp) / "data", a.repeat))


if __name__ == "__main__":
    main()
