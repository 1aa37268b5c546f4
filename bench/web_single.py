"""Single-request cost of the customer pages (no concurrency): median time, queries, SQL time.

    JIKE_DATABASE_URL=postgres://... .venv/bin/python -m bench.web_single [--users province,cm-hefei-1]

Runs in-process with Django's test client against the database in JIKE_DATABASE_URL (load the
large demo first). It tells how much of a page is SQL and how much is Python, which the load
benchmark (bench/web_latency.py) cannot separate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", default="province,cm-hefei-1")
    parser.add_argument("--repeat", type=int, default=6)
    parser.add_argument("--customers", type=int, default=1, help="360 pages of this many customers (cold + warm)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jike.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection, reset_queries
    from django.test import Client

    from jike.core.models import User
    from jike.customers.models import Customer

    cache.clear()  # first views are first views (the file cache outlives processes)
    settings.DEBUG = True  # record queries
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    print(f"{'user':12} {'url':34} status  median ms  cpu ms  queries  sql ms")
    for username in args.users.split(","):
        user = User.objects.get(username=username)
        client.force_login(user)
        ids = list(Customer.objects.restrict(user).order_by("-monthly_spend").values_list("id", flat=True)[5:200:7])
        cid = ids[0]
        urls = ["/customers/", "/customers/?q=医", "/customers/?q=医院", "/customers/?q=有限公司"]
        urls += ["/customers/?page=30&tier=B", f"/customers/{cid}/"]
        urls += ["/api/v1/customers/", f"/api/v1/customers/{cid}/"]
        for url in urls:
            times, cpu = [], []
            for _ in range(args.repeat):
                reset_queries()
                start, start_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
            sql = sum(float(q["time"]) for q in connection.queries) * 1000
            print(
                f"{username:12} {url:34} {response.status_code:6} {statistics.median(times):10.1f}"
                f" {statistics.median(cpu):7.1f} {len(connection.queries):8} {sql:7.1f}"
            )
        # The first view of a customer's 360 page (nothing cached for it yet) and a second view,
        # for the page and for the panels it loads right after.
        views: dict[str, tuple[list[float], list[float]]] = {}
        for pk in ids[: args.customers] if args.customers > 1 else []:
            for suffix in ("", "panels/"):
                for which in ("first", "second"):
                    wall, cpu = views.setdefault(f"/customers/<id>/{suffix} {which} view", ([], []))
                    start, start_cpu = time.perf_counter(), time.process_time()
                    client.get(f"/customers/{pk}/{suffix}")
                    wall.append((time.perf_counter() - start) * 1000)
                    cpu.append((time.process_time() - start_cpu) * 1000)
        for label, (wall, cpu) in views.items():
            print(f"{username:12} {label:34} {'':6} {statistics.median(wall):10.1f} {statistics.median(cpu):7.1f}"
                  f"   (median over {len(wall)} customers)")  # fmt: skip


if __name__ == "__main__":
    main()
