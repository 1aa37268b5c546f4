"""Pipeline board and weighted forecast under load, at the large demo scale.

    JIKE_DATABASE_URL=postgres://... .venv/bin/python -m bench.sales_board [--clients 8] [--requests 400]

Ensures the large demo is loaded (`jike demo-data --scale large --if-empty`; if the customers were
loaded before the sales generator existed, runs jike.sales.demo / jike.visits.demo), starts gunicorn
on 127.0.0.1, signs in as the province manager (whole province: every opportunity) and a city
manager, then drives concurrent keep-alive clients per endpoint, bounded in requests and seconds:
board page and API, forecast page and API by month/city/industry/manager, and a trivial endpoint of
the same server (/api/v1/me/) as a same-run baseline. Prints p50/p95/p99 and writes
docs/benchmarks-sales.md. Target: p95 < 200 ms. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench.http_load import Result, run
from bench.web_latency import HOST, ROOT, ensure_demo, login, report, start_server

GOAL_MS = 200.0
ENDPOINTS = {
    "board page": ["/sales/board/"],
    "board api": ["/api/v1/opportunities/board/"],
    "forecast page": [f"/sales/forecast/?group_by={g}" for g in ("month", "city", "industry", "manager")],
    "forecast api": [f"/api/v1/opportunities/forecast/?group_by={g}" for g in ("month", "city", "industry", "manager")],
    "baseline /api/v1/me/": ["/api/v1/me/"],
}


def ensure_sales(env: dict[str, str]) -> str:
    """Counts in the database; runs the sales and visits generators if the demo predates them."""
    code = (
        "import django,sys,io;django.setup();"
        "from jike.sales.models import Opportunity;from jike.customers.models import Customer;"
        "from jike.visits.models import VisitLog;"
        "import jike.sales.demo as s, jike.visits.demo as v;"
        "s.generate('large', 2025, sys.stdout) if not Opportunity.objects.exists() else None;"
        "v.generate('large', 2025, sys.stdout) if not VisitLog.objects.exists() else None;"
        "print(f'{Customer.objects.count()} customers, {Opportunity.objects.count()} opportunities, '"
        "f'{VisitLog.objects.count()} visit logs')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        env={**env, "DJANGO_SETTINGS_MODULE": "jike.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def cold_timings(env: dict[str, str]) -> list[str]:
    """Uncached cost of the aggregates themselves (median of 5, in-process, province scope)."""
    code = (
        "import django,time,statistics;django.setup();"
        "from jike.core.models import User;from jike.sales.models import Opportunity;from jike.sales import reports;"
        "u=User.objects.get(username='province');qs=Opportunity.objects.restrict(u);"
        "fns=[('board',lambda: reports.board(qs))]+[('forecast '+g,(lambda g=g: reports.forecast(qs,g)))"
        " for g in reports.GROUPS];\n"
        "for n,f in fns:\n"
        " f();ts=[]\n"
        " for _ in range(5):\n"
        "  t=time.perf_counter();f();ts.append((time.perf_counter()-t)*1000)\n"
        " print(f'{n}: {statistics.median(ts):.0f} ms')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        env={**env, "DJANGO_SETTINGS_MODULE": "jike.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()


def write_doc(
    path: Path, rows: list[dict[str, object]], data: str, args: argparse.Namespace, cold: list[str], load: str
) -> None:
    lines = [
        "# Benchmark: pipeline board and weighted forecast",
        "",
        "Command (PostgreSQL, large demo):",
        "",
        "```",
        f"JIKE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jike_bench .venv/bin/python -m bench.sales_board "
        f"--clients {args.clients} --requests {args.requests} --seconds {args.seconds:.0f}",
        "```",
        "",
        f"Data: {data}. Server: gunicorn {args.workers} workers × {args.threads} threads (gthread) on 127.0.0.1; "
        f"{args.clients} concurrent keep-alive clients per endpoint; machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load average {load}, run {time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        f"Target: p95 < {GOAL_MS:.0f} ms. `p95/base` is the ratio to the trivial `/api/v1/me/` of the same run, "
        "so a busy machine can be read fairly.",
        "",
        "| user | endpoint | requests | p50 ms | p95 ms | p99 ms | req/s | p95/base | target met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        met = (
            "" if str(r["endpoint"]).startswith("baseline") else ("yes" if float(str(r["p95_ms"])) < GOAL_MS else "NO")
        )
        lines.append(
            f"| {r['user']} | {r['endpoint']} | {r['requests']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | "
            f"{r['rps']} | {r['p95_vs_baseline']} | {met} |"
        )
    lines += [
        "",
        "Uncached cost of the aggregates (province scope, all opportunities; median of 5 in one process):",
        "",
        *[f"- {c}" for c in cold],
        "",
        "How it stays fast: the board's totals are one `GROUP BY stage` over the scope (with the stale count as a",
        "filtered aggregate), its cards one indexed query per stage on `(stage, -estimated_revenue)` limited to 30;",
        "the forecast is one `GROUP BY` on month/city/industry/owner. Scope is the same `restrict(user)` filter",
        "as every other list. Results (for the board page: the rendered columns) are cached per scope, filter",
        "and language under a version that every opportunity write changes (jike/sales/cache.py), so repeated",
        "reads cost a version lookup; the first read after a write pays the uncached cost above.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=400, help="per endpoint and user (bound)")
    parser.add_argument("--seconds", type=float, default=40.0, help="per endpoint and user (bound)")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--users", default="province,city-hefei")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks-sales.md")
    parser.add_argument("--skip-load", action="store_true", help="do not check/load the demo")
    args = parser.parse_args()

    env = dict(os.environ)
    if not env.get("JIKE_DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set JIKE_DATABASE_URL to a PostgreSQL database (the benchmark is about PostgreSQL)")
    env.setdefault("JIKE_DB_CONN_MAX_AGE", "600")
    env.setdefault("JIKE_LOG_LEVEL", "WARNING")
    if not args.skip_load:
        ensure_demo("large", env)
    data = ensure_sales(env)
    print(data, flush=True)
    cold = cold_timings(env)
    print("uncached:", "; ".join(cold), flush=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    proc = start_server(args.port, args.workers, args.threads, env)
    rows: list[dict[str, object]] = []
    try:
        for user in args.users.split(","):
            headers = {"Cookie": login(args.port, user), "Accept": "text/html,application/json"}
            results: list[Result] = []
            for name, paths in ENDPOINTS.items():
                # Warm-up (connections, plans, caches) is not measured.
                asyncio.run(run(name, HOST, args.port, paths, headers, args.clients, 2 * args.clients, 20))
                results.append(
                    asyncio.run(run(name, HOST, args.port, paths, headers, args.clients, args.requests, args.seconds))
                )
            rows += report(user, results)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    write_doc(args.doc, rows, data, args, cold, load)
    print(f"\nwrote {args.doc}")


if __name__ == "__main__":
    main()
