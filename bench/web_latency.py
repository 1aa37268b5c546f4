"""Web latency under load: customer list, customer 360 page and the customer API.

    JIKE_DATABASE_URL=postgres://... .venv/bin/python -m bench.web_latency [--scale large] [--clients 50]

Ensures the demo of --scale is loaded (skips if customers exist), starts gunicorn on 127.0.0.1,
logs in as a province user, a city manager and a customer manager (session cookies), then drives
--clients concurrent keep-alive clients per endpoint, each run bounded by --requests and --seconds.
It prints p50/p95/p99 and req/s per endpoint, and the same figures for a trivial endpoint of the
same server (/api/v1/me/) so a noisy machine can be read as a ratio. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.http_load import Result, run

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PASSWORD = "jike-demo"
GOALS_MS = {"customer list": 100.0, "customer 360": 50.0, "customer 360 + panels": 50.0}
SEARCH_TERMS = ("合肥", "银行", "科技", "物流", "中学", "医院", "芜湖", "建设", "国网", "商贸", "有限公司", "税务")


def ensure_demo(scale: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "jike.manage", "migrate", "--noinput", "-v0"], check=True, env=env, cwd=ROOT)
    cmd = [sys.executable, "-m", "jike.manage", "demo-data", "--scale", scale, "--if-empty"]
    print("$", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True, env=env, cwd=ROOT)


def start_server(port: int, workers: int, threads: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [
        str(ROOT / ".venv/bin/gunicorn"), "jike.wsgi:application", "--bind", f"{HOST}:{port}",
        "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
        "--keep-alive", "30", "--backlog", "256", "--log-level", "warning", "--timeout", "120",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("gunicorn did not come up")


def login(port: int, username: str) -> str:
    """Sign in through the login form; returns the Cookie header value."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", "/login/")
    resp = conn.getresponse()
    page = resp.read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    cookie = re.search(r"csrftoken=([^;]+)", resp.getheader("Set-Cookie") or "")
    if not csrf or not cookie:
        raise SystemExit("login page without CSRF token")
    body = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf.group(1)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie.group(1)}",
               "Referer": f"http://{HOST}:{port}/login/"}  # fmt: skip
    conn.request("POST", "/login/", body, headers)
    resp = conn.getresponse()
    resp.read()
    session = re.search(r"sessionid=([^;]+)", resp.getheader("Set-Cookie") or "")
    if resp.status != 302 or not session:
        raise SystemExit(f"login as {username} failed ({resp.status})")
    return f"csrftoken={cookie.group(1)}; sessionid={session.group(1)}"


def sample(username: str, n: int, rng: random.Random) -> dict[str, list[str]]:
    """URLs per endpoint for one user: searches, filters, pages and customers in his scope."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jike.settings")
    django.setup()
    from jike.core.models import OrgUnit, User
    from jike.customers.models import Customer

    user = User.objects.get(username=username)
    scope = Customer.objects.restrict(user)
    total = scope.count()
    ids = list(scope.order_by("?").values_list("id", flat=True)[:n]) if total < 200_000 else []
    if not ids:  # ORDER BY random() over the whole table is slow: sample id ranges instead
        hi = Customer.objects.order_by("-id").values_list("id", flat=True).first() or 0
        ids = list(scope.filter(id__in=[rng.randint(1, hi) for _ in range(n * 3)]).values_list("id", flat=True)[:n])
    cities = list(OrgUnit.objects.filter(level="city").values_list("id", flat=True))
    pages = max(1, min(total // 50, 200))
    lists: list[str] = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            query = {"q": rng.choice(SEARCH_TERMS)}
        elif kind == 1:
            query = {"tier": rng.choice("ABC"), "industry": rng.choice(["government", "finance", "manufacturing"])}
            if user.scope == "all":
                query["city"] = str(rng.choice(cities))
        elif kind == 2:
            query = {"page": str(rng.randint(1, pages))}
        else:
            query = {"status": "at_risk", "ordering": "-monthly_spend"}
        lists.append(urlencode(query))
    # Each 360 endpoint gets its own quarter of the customers and the unmeasured warm-up the last
    # one, so no measured request finds a page in the cache that another run just rendered.
    # "customer 360" is the document (the customer file: profile, tier, team, key persons,
    # members, hierarchy, events, history); the page then loads the other domains' panels
    # ("customer 360 panels"); "customer 360 + panels" is both, one after the other, as a browser
    # with HTMX fetches them.
    q = len(ids) // 4
    doc, panels, both, warm = ids[:q], ids[q : 2 * q], ids[2 * q : 3 * q], ids[3 * q :]
    return {
        "customer list": [f"/customers/?{q}" for q in lists],
        "customer 360": [f"/customers/{i}/" for i in doc],
        "customer 360 panels": [f"/customers/{i}/panels/" for i in panels],
        "customer 360 + panels": [f"/customers/{i}/\n/customers/{i}/panels/" for i in both],
        "api list": [f"/api/v1/customers/?{q}" for q in lists],
        "api detail": [f"/api/v1/customers/{i}/" for i in doc],
        "baseline /api/v1/me/": ["/api/v1/me/"],
    } | {
        "_meta": [f"{username}: {total} customers in scope"],
        "_warm customer 360": [f"/customers/{i}/" for i in warm],
        "_warm customer 360 panels": [f"/customers/{i}/panels/" for i in warm],
        "_warm customer 360 + panels": [f"/customers/{i}/\n/customers/{i}/panels/" for i in warm],
        "_warm api detail": [f"/api/v1/customers/{i}/" for i in warm],
    }


def report(user: str, results: list[Result]) -> list[dict[str, object]]:
    base = next((r for r in results if r.name.startswith("baseline")), None)
    rows = []
    print(f"\n== {user}")
    print(
        f"{'endpoint':<24}{'n':>6}{'ok':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}{'p95/base':>9}  statuses"
    )
    for r in results:
        row = r.row() | {"user": user}
        ratio = r.pct(95) / base.pct(95) if base and base.latencies and r.latencies else float("nan")
        row["p95_vs_baseline"] = round(ratio, 1)
        goal = GOALS_MS.get(r.name)
        row["goal_p95_ms"] = goal
        print(f"{r.name:<24}{row['requests']:>6}{row['ok']:>6}{r.pct(50):>9.1f}{r.pct(95):>9.1f}{r.pct(99):>9.1f}"
              f"{r.rps:>8.1f}{ratio:>9.1f}  {dict(r.statuses)}{' errors=' + str(r.errors) if r.errors else ''}"
              f"{f'  (goal p95 < {goal:.0f} ms)' if goal else ''}")  # fmt: skip
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="large", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1500, help="per endpoint and user (bound)")
    parser.add_argument("--seconds", type=float, default=45.0, help="per endpoint and user (bound)")
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean pause between a client's requests (s); 0 = closed loop"
    )
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--users", default="province,city-hefei,cm-hefei-1")
    parser.add_argument("--endpoints", default="", help="comma-separated subset of endpoint names")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--skip-load", action="store_true", help="do not check/load the demo")
    parser.add_argument(
        "--cached", action="store_true", help="request every measured URL once first (measures cache hits)"
    )
    args = parser.parse_args()

    env = dict(os.environ)
    if not env.get("JIKE_DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set JIKE_DATABASE_URL to a PostgreSQL database (the benchmark is about PostgreSQL)")
    env.setdefault("JIKE_DB_CONN_MAX_AGE", "600")
    env.setdefault("JIKE_LOG_LEVEL", "WARNING")
    if not args.skip_load:
        ensure_demo(args.scale, env)
    rng = random.Random(7)
    plans = {u: sample(u, 1600, rng) for u in args.users.split(",")}
    proc = start_server(args.port, args.workers, args.threads, env)
    rows: list[dict[str, object]] = []
    try:
        print(f"gunicorn: {args.workers} workers x {args.threads} threads (gthread), {args.clients} clients, "
              f"bounds {args.requests} requests / {args.seconds:.0f} s per endpoint; cores: {os.cpu_count()}, "
              f"load average before: {os.getloadavg()[0]:.1f}")  # fmt: skip
        for user, plan in plans.items():
            cookie = login(args.port, user)
            headers = {"Cookie": cookie, "Accept": "text/html,application/json"}
            print(plan.pop("_meta")[0], flush=True)
            warm = {name[len("_warm ") :]: plan.pop(name) for name in list(plan) if name.startswith("_warm ")}
            wanted = set(filter(None, args.endpoints.split(",")))
            results = []
            for name, paths in plan.items():
                if wanted and name not in wanted and not name.startswith("baseline"):
                    continue
                if not paths:
                    continue
                # Warm-up (connections, process caches) is not measured; it requests other customers.
                asyncio.run(
                    run(name, HOST, args.port, warm.get(name, paths), headers, args.clients, 2 * args.clients, 20)
                )
                if args.cached:  # every measured page once before: the measured run reads the cache
                    asyncio.run(run(name, HOST, args.port, paths, headers, args.clients, len(paths), 120))
                results.append(
                    asyncio.run(
                        run(
                            name, HOST, args.port, paths, headers, args.clients, args.requests, args.seconds, args.think
                        )
                    )
                )
            rows += report(user, results)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
