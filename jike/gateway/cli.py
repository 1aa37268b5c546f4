"""Command line: `jike gateway`, `jike smsc-sim`, `jike gateway-status` (no Django here)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
import sys
import urllib.error
import urllib.request
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from jike.gateway.config import ConfigError, Settings, load_snapshot
from jike.gateway.metrics import setup_logging


def run_loop(coro: Coroutine[Any, Any, int]) -> int:
    try:
        import uvloop

        return int(uvloop.run(coro))
    except ImportError:  # pragma: no cover - uvloop is a dependency
        return asyncio.run(coro)


def load_settings(config: str | None, args: argparse.Namespace) -> Settings:
    data: dict[str, Any] = {}
    if config:
        raw = json.loads(Path(config).read_text(encoding="utf-8"))
        data = dict(raw.get("gateway", {}))
    settings = Settings.from_dict(data)
    for key in ("host", "port", "admin_port", "data_dir", "cdr_dsn", "parquet_dir", "log_level"):
        value = getattr(args, key, None)
        if value is not None:
            setattr(settings, key, value)
    return settings


def tune_gc() -> None:
    """Cyclic GC tuned for a process that allocates a few objects per PDU and keeps ~max_pending
    messages alive: with the default thresholds (700 allocations) the collector ran ~2,000 times
    per 100,000 messages and cost ~6 us of CPU per message (measured with gc.callbacks).  Objects
    that exist after start-up (the snapshot, recovered state) are frozen out of collections;
    young collections run every 200,000 net allocations.  Each one also walks the young objects
    still alive (the messages in flight), so fewer passes cost less: over 400,000 messages 50,000
    gave 8-10 passes and 0.4-0.5 s of GC, 200,000 gave 1-2 passes and 0.02-0.11 s.  Reference
    cycles are still collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(200_000, 20, 100)


async def _serve_gateway(settings: Settings, config: str) -> int:
    from jike.gateway.core import Gateway

    gw = Gateway(settings, load_snapshot(config), config)
    await gw.start()
    tune_gc()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await gw.stop()
    return 0


def cmd_gateway(argv: list[str]) -> int:
    if argv and argv[0] == "rate":
        from jike.gateway.rating import main as rate_main

        return rate_main(argv[1:])
    if argv and argv[0] == "init-db":
        p = argparse.ArgumentParser(prog="jike gateway init-db")
        p.add_argument("--dsn", required=True)
        a = p.parse_args(argv[1:])
        from jike.gateway.cdr import ensure_schema

        ensure_schema(a.dsn)
        print("gateway_cdr and gateway_charge tables ready")
        return 0
    if argv and argv[0] == "check-config":
        p = argparse.ArgumentParser(prog="jike gateway check-config")
        p.add_argument("--config", required=True)
        a = p.parse_args(argv[1:])
        try:
            snap = load_snapshot(a.config)
        except ConfigError as exc:
            print(f"invalid: {exc}", file=sys.stderr)
            return 1
        print(f"ok: {len(snap.accounts)} accounts, {len(snap.routes)} routes, {len(snap.connectors)} connectors")
        return 0
    if argv and argv[0] == "run":
        argv = argv[1:]
    p = argparse.ArgumentParser(prog="jike gateway", description="Run the industry gateway (SMPP 3.4 server)")
    p.add_argument("--config", required=True, help="configuration snapshot (JSON)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--admin-port", dest="admin_port", type=int)
    p.add_argument("--data-dir", dest="data_dir")
    p.add_argument("--cdr-dsn", dest="cdr_dsn")
    p.add_argument("--parquet-dir", dest="parquet_dir")
    p.add_argument("--log-level", dest="log_level")
    a = p.parse_args(argv)
    try:
        settings = load_settings(a.config, a)
    except (OSError, ValueError, ConfigError) as exc:
        print(f"cannot load settings: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    try:
        return run_loop(_serve_gateway(settings, a.config))
    except ConfigError as exc:
        print(f"invalid configuration: {exc}", file=sys.stderr)
        return 2


async def _serve_sim(cfg: Any) -> int:
    from jike.gateway.simulator import Simulator

    sim = Simulator(cfg)
    port = await sim.start()
    print(json.dumps({"event": "smsc_sim_started", "port": port}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    print(json.dumps({"event": "smsc_sim_stopped", **sim.stats()}), flush=True)
    await sim.stop()
    return 0


def cmd_sim(argv: list[str]) -> int:
    from jike.gateway.simulator import SimConfig

    p = argparse.ArgumentParser(prog="jike smsc-sim", description="SMSC simulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2776)
    p.add_argument("--user", action="append", default=[], help="system_id:password (repeatable)")
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--window", type=int, default=0)
    p.add_argument("--error-rate", type=float, default=0.0)
    p.add_argument("--throttle-rate", type=float, default=0.0)
    p.add_argument("--max-tps", type=float, default=0.0)
    p.add_argument("--throttle-hold-ms", type=float, default=0.0)
    p.add_argument("--receipt-delay-ms", type=float, default=0.0)
    p.add_argument("--undeliv-rate", type=float, default=0.0)
    p.add_argument("--no-receipts", action="store_true")
    p.add_argument("--record-file", default="", help="append every accepted submit_sm as JSON lines")
    p.add_argument("--seed", type=int)
    a = p.parse_args(argv)
    users = dict(u.split(":", 1) for u in a.user)
    cfg = SimConfig(
        host=a.host,
        port=a.port,
        users=users,
        latency_ms=a.latency_ms,
        window=a.window,
        error_rate=a.error_rate,
        throttle_rate=a.throttle_rate,
        max_tps=a.max_tps,
        throttle_hold_ms=a.throttle_hold_ms,
        receipt_delay_ms=a.receipt_delay_ms,
        undeliv_rate=a.undeliv_rate,
        receipts=not a.no_receipts,
        record=False,
        record_file=a.record_file,
        seed=a.seed,
    )
    return run_loop(_serve_sim(cfg))


def cmd_status(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="jike gateway-status", description="Ask a running gateway")
    p.add_argument("--admin", default="http://127.0.0.1:9775", help="admin endpoint URL")
    p.add_argument("--reload", action="store_true", help="reload the configuration snapshot")
    p.add_argument("--json", action="store_true", help="print raw JSON")
    a = p.parse_args(argv)
    try:
        if a.reload:
            req = urllib.request.Request(a.admin.rstrip("/") + "/reload", method="POST", data=b"")
            with urllib.request.urlopen(req, timeout=5) as resp:
                print(resp.read().decode())
            return 0
        with urllib.request.urlopen(a.admin.rstrip("/") + "/status", timeout=5) as resp:
            status = json.loads(resp.read())
    except (urllib.error.URLError, OSError) as exc:
        print(f"gateway not reachable at {a.admin}: {exc}", file=sys.stderr)
        return 1
    if a.json:
        print(json.dumps(status, indent=2, ensure_ascii=False))
        return 0
    print(f"uptime {status['uptime_s']}s  snapshot {status['snapshot']}")
    compiled = status.get("compiled_modules")
    print("compiled modules (mypyc): " + (", ".join(compiled) if compiled else "none, plain Python"))
    print(f"pending messages {status['pending_messages']}  awaiting receipts {status['awaiting_receipts']}")
    print("binds: " + (", ".join(f"{k}={v}" for k, v in status["binds"].items()) or "none"))
    print("connectors:")
    for name, c in status["connectors"].items():
        q = c["queued"]
        print(
            f"  {name:<16} {c['state']:<7} binds={c['binds']} queued(em/no/bu)={q[0]}/{q[1]}/{q[2]} "
            f"inflight={c['inflight']} submitted={c['submitted']} throttled={c['throttled']}"
        )
    print("counters:")
    for key, value in status["counters"].items():
        print(f"  {key}: {value}")
    lat = status["latency"]
    print(f"submit latency p50<={lat['submit_p50_s']}s p99<={lat['submit_p99_s']}s")
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: jike gateway|smsc-sim|gateway-status ...", file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "gateway":
        return cmd_gateway(rest)
    if command == "smsc-sim":
        return cmd_sim(rest)
    if command == "gateway-status":
        return cmd_status(rest)
    print(f"unknown command {command}", file=sys.stderr)
    return 2
