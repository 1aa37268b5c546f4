"""A tiny keep-alive HTTP/1.1 load client on asyncio streams (no third-party HTTP library).

Only for benchmarking our own server: it refuses any host but 127.0.0.1/localhost, and every run
is bounded both in requests and in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, successful (2xx) requests
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    elapsed: float = 0.0
    bytes: int = 0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        k = min(len(data) - 1, max(0, round(p / 100 * len(data)) - 1))
        return data[k] * 1000

    @property
    def rps(self) -> float:
        return sum(self.statuses.values()) / self.elapsed if self.elapsed else 0.0

    def row(self) -> dict[str, object]:
        return {
            "endpoint": self.name,
            "requests": sum(self.statuses.values()),
            "ok": len(self.latencies),
            "statuses": dict(self.statuses),
            "errors": self.errors,
            "p50_ms": round(self.pct(50), 1),
            "p95_ms": round(self.pct(95), 1),
            "p99_ms": round(self.pct(99), 1),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 1) if self.latencies else None,
            "rps": round(self.rps, 1),
            "avg_kb": round(self.bytes / max(1, sum(self.statuses.values())) / 1024, 1),
        }


class Connection:
    def __init__(self, host: str, port: int) -> None:
        if host not in LOCAL_HOSTS:
            raise ValueError("the load client only targets the local machine")
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """One GET on the kept-alive connection (reopened if the server closed it)."""
        for attempt in (1, 2):
            if self.writer is None:
                await self._open()
            assert self.reader is not None and self.writer is not None
            head = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nConnection: keep-alive\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            try:
                self.writer.write(head.encode("latin-1"))
                await self.writer.drain()
                return await self._read()
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _read(self) -> tuple[int, bytes]:
        assert self.reader is not None
        status_line = await self.reader.readuntil(b"\r\n")
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length, chunked, close = None, False, False
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            body = bytearray()
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                body += await self.reader.readexactly(size + 2)
            data = bytes(body)
        elif length is not None:
            data = await self.reader.readexactly(length)
        else:
            data = await self.reader.read()
            close = True
        if close:
            await self.close()
        return status, data


async def get_all(conn: Connection, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """`path` may be several paths separated by newlines: GET them one after the other, as a browser
    loads a page and then the fragments the page asks for; the first non-2xx status (else the
    last) and all bodies count as one request."""
    status, body = 0, b""
    for part in path.split("\n"):
        status, data = await conn.get(part, headers)
        body += data
        if not 200 <= status < 300:
            break
    return status, body


async def run(
    name: str,
    host: str,
    port: int,
    paths: Sequence[str],
    headers: dict[str, str],
    clients: int,
    max_requests: int,
    max_seconds: float,
    think: float = 0.0,
) -> Result:
    """`clients` concurrent keep-alive clients GET `paths` round robin until either bound is hit.

    With `think` > 0 each client pauses a random (exponential, mean `think` s) time between
    requests, like a person reading the page: 50 such users offer ~50/think requests/s instead of
    the closed loop's "as fast as the server answers"."""
    pause = random.Random(7)
    result = Result(name)
    counter = itertools.count()
    deadline = time.monotonic() + max_seconds

    async def client() -> None:
        conn = Connection(host, port)
        if think > 0:
            # Users arrive spread over one think time, not all in the same millisecond.
            await asyncio.sleep(pause.uniform(0, think))
        try:
            while time.monotonic() < deadline:
                i = next(counter)
                if i >= max_requests:
                    break
                start = time.perf_counter()
                try:
                    status, body = await get_all(conn, paths[i % len(paths)], headers)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    result.errors += 1
                    await conn.close()
                    continue
                took = time.perf_counter() - start
                result.statuses[status] += 1
                result.bytes += len(body)
                if 200 <= status < 300:
                    result.latencies.append(took)
                if think > 0:
                    await asyncio.sleep(pause.expovariate(1 / think))
        finally:
            await conn.close()

    t0 = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.elapsed = time.monotonic() - t0
    return result
