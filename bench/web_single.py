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
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jike.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client

    from jike.core.models import User
    from jike.customers.models import Customer

    settings.DEBUG = True  # record queries
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    print(f"{'user':12} {'url':34} status  median ms  queries  sql ms")
    for username in args.users.split(","):
        user = User.objects.get(username=username)
        client.force_login(user)
        cid = Customer.objects.restrict(user).order_by("-monthly_spend").values_list("id", flat=True)[5]
        urls = ["/customers/", "/customers/?q=医院", "/customers/?page=30&tier=B", f"/customers/{cid}/"]
        urls += ["/api/v1/customers/", f"/api/v1/customers/{cid}/"]
        for url in urls:
            times = []
            for _ in range(args.repeat):
                reset_queries()
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            sql = sum(float(q["time"]) for q in connection.queries) * 1000
            print(
                f"{username:12} {url:34} {response.status_code:6} {statistics.median(times):10.1f}"
                f" {len(connection.queries):8} {sql:7.1f}"
            )


if __name__ == "__main__":
    main()
