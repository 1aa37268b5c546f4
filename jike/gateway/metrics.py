"""Counters kept as plain ints on the hot path, exported to Prometheus at scrape time."""

from __future__ import annotations

import json
import logging
import sys
import time
from bisect import bisect_left
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector, CollectorRegistry

if TYPE_CHECKING:
    from jike.gateway.core import Gateway

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class Histogram:
    __slots__ = ("buckets", "count", "counts", "sum")

    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.buckets, value)] += 1
        self.sum += value
        self.count += 1

    def cumulative(self) -> list[tuple[str, float]]:
        out = []
        acc = 0
        for bound, c in zip(self.buckets, self.counts, strict=False):
            acc += c
            out.append((repr(bound), float(acc)))
        out.append(("+Inf", float(self.count)))
        return out

    def quantile(self, q: float) -> float:
        """Upper bucket bound holding the q-quantile (coarse, for the status command)."""
        if not self.count:
            return 0.0
        target = q * self.count
        acc = 0
        for bound, c in zip(self.buckets, self.counts, strict=False):
            acc += c
            if acc >= target:
                return bound
        return float("inf")


class Stats:
    def __init__(self) -> None:
        self.accepted = 0
        self.accepted_segments = 0
        self.rejected: dict[str, int] = {}
        self.bind_ok = 0
        self.bind_failed: dict[str, int] = {}
        self.upstream_submitted = 0
        self.upstream_throttled = 0
        self.upstream_failed = 0
        self.receipts_in = 0
        self.receipts_orphan = 0
        self.receipts_out = 0
        self.mo_in = 0
        self.mo_out = 0
        self.final: dict[str, int] = {}
        self.reloads = 0
        self.concat_groups: dict[str, int] = {}  # held concatenated groups judged, by cause
        self.reload_errors = 0
        self.submit_latency = Histogram()
        self.e2e_latency = Histogram()
        self.started = time.time()

    def reject(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1


class GatewayCollector(Collector):
    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway

    def collect(self) -> Iterator[Any]:
        gw = self.gw
        s = gw.stats
        c = CounterMetricFamily("jike_gateway_submit_accepted", "submit_sm accepted (durably recorded)")
        c.add_metric([], s.accepted)
        yield c
        c = CounterMetricFamily("jike_gateway_segments_accepted", "SMS segments accepted (billing units)")
        c.add_metric([], s.accepted_segments)
        yield c
        c = CounterMetricFamily("jike_gateway_submit_rejected", "submit_sm rejected by policy step", labels=["reason"])
        for reason, n in sorted(s.rejected.items()):
            c.add_metric([reason], n)
        yield c
        c = CounterMetricFamily("jike_gateway_bind_failed", "refused binds", labels=["reason"])
        for reason, n in sorted(s.bind_failed.items()):
            c.add_metric([reason], n)
        yield c
        for name, value, doc in (
            ("upstream_submitted", s.upstream_submitted, "submit_sm accepted by an upstream SMSC"),
            ("upstream_throttled", s.upstream_throttled, "upstream ESME_RTHROTTLED / ESME_RMSGQFUL"),
            ("upstream_failed", s.upstream_failed, "messages permanently refused upstream"),
            ("receipts_received", s.receipts_in, "delivery receipts from SMSCs"),
            ("receipts_orphan", s.receipts_orphan, "receipts matching no known message"),
            ("receipts_delivered", s.receipts_out, "receipts delivered to enterprises"),
            ("mo_received", s.mo_in, "mobile-originated messages from SMSCs"),
            ("mo_delivered", s.mo_out, "mobile-originated messages delivered to enterprises"),
            ("config_reloads", s.reloads, "successful snapshot reloads"),
            ("config_reload_errors", s.reload_errors, "failed snapshot reloads"),
            ("wal_batches", gw.store.batches, "WAL group commits (write+fsync)"),
            ("wal_records", gw.store.records, "WAL records written"),
            ("cdr_written", gw.cdr.written, "CDR rows written"),
            ("cdr_failed_batches", gw.cdr.failed_batches, "CDR batches that failed and were retried"),
        ):
            c = CounterMetricFamily(f"jike_gateway_{name}", doc)
            c.add_metric([], value)
            yield c
        c = CounterMetricFamily(
            "jike_gateway_concat_groups",
            "concatenated messages judged on their whole text, by cause (complete, timeout, overflow, duplicate)",
            labels=["cause"],
        )
        for cause, n in sorted(s.concat_groups.items()):
            c.add_metric([cause], n)
        yield c
        c = CounterMetricFamily("jike_gateway_final_status", "messages by final status", labels=["status"])
        for status, n in sorted(s.final.items()):
            c.add_metric([status], n)
        yield c
        g = GaugeMetricFamily("jike_gateway_queue_depth", "queued messages", labels=["connector", "queue"])
        for conn in gw.connectors.values():
            for qname, depth in zip(("emergency", "normal", "bulk"), conn.depths(), strict=True):
                g.add_metric([conn.name, qname], depth)
        yield g
        g = GaugeMetricFamily("jike_gateway_inflight", "submit_sm awaiting a response", labels=["connector"])
        for conn in gw.connectors.values():
            g.add_metric([conn.name], conn.inflight)
        yield g
        g = GaugeMetricFamily(
            "jike_gateway_connector_up", "1 if the connector state matches", labels=["connector", "state"]
        )
        for conn in gw.connectors.values():
            state = conn.state()
            for st in ("bound", "paused", "down"):
                g.add_metric([conn.name, st], 1.0 if st == state else 0.0)
        yield g
        g = GaugeMetricFamily("jike_gateway_connector_binds", "bound upstream binds", labels=["connector"])
        for conn in gw.connectors.values():
            g.add_metric([conn.name], sum(1 for x in conn.sessions if x.bound))
        yield g
        g = GaugeMetricFamily("jike_gateway_esme_binds", "bound enterprise sessions", labels=["system_id"])
        for sid, n in sorted(gw.bind_counts().items()):
            g.add_metric([sid], n)
        yield g
        g = GaugeMetricFamily("jike_gateway_pending_messages", "unfinished messages held in memory")
        g.add_metric([], len(gw.messages))
        yield g
        g = GaugeMetricFamily("jike_gateway_concat_held_parts", "parts of concatenated messages held for policy")
        g.add_metric([], gw.concat.held)
        yield g
        g = GaugeMetricFamily("jike_gateway_outbox_depth", "receipts/MO waiting for an enterprise bind")
        g.add_metric([], sum(len(q) for q in gw.outbox.values()))
        yield g
        g = GaugeMetricFamily("jike_gateway_cdr_buffer", "CDR rows waiting to be written")
        g.add_metric([], gw.cdr.buffered)
        yield g
        for name, hist, doc in (
            ("submit_latency_seconds", s.submit_latency, "submit_sm received -> submit_sm_resp sent"),
            ("e2e_latency_seconds", s.e2e_latency, "accepted -> final status from the SMSC"),
        ):
            h = HistogramMetricFamily(f"jike_gateway_{name}", doc)
            h.add_metric([], hist.cumulative(), hist.sum)
            yield h


def registry_for(gateway: Gateway) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(GatewayCollector(gateway))
    return reg


# the LogRecord's own attributes; every other one came in `extra=` and goes into the JSON line
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS:
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("jike")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
