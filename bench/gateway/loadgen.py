"""A lean asyncio SMPP load generator (the enterprise side of the benchmark).

Binds B transceivers, keeps W submit_sm outstanding on each, requests a receipt for every
message and answers every deliver_sm.  Prints one JSON line: submitted, accepted, rejected,
receipts, end-to-end msgs/s (first submit -> last receipt), submit latency p50/p99.
Bounded: N messages, and a hard deadline; only ever connects to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from jike.gateway import pdu

HOST = "127.0.0.1"


class Client(asyncio.Protocol):
    def __init__(self, run: Run, index: int) -> None:
        self.run = run
        self.index = index
        self.reader = pdu.FrameReader()
        self.transport: asyncio.Transport | None = None
        self.seq = 0
        self.sent_at: dict[int, float] = {}
        self.bound = asyncio.get_event_loop().create_future()
        self.out: list[bytes] = []

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        if not self.bound.done():
            self.bound.set_exception(ConnectionError("lost"))
        self.run.lost += 1
        self.run.check_done()

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def fill(self) -> None:
        run = self.run
        now = time.perf_counter()
        header = pdu.HEADER.pack
        while len(self.sent_at) < run.window and run.next_index < run.n:
            body = run.bodies[run.next_index % len(run.bodies)]
            run.next_index += 1
            seq = self.next_seq()
            self.sent_at[seq] = now
            self.out.append(header(16 + len(body), pdu.SUBMIT_SM, 0, seq) + body)
            if run.t_first is None:
                run.t_first = now

    def flush(self) -> None:
        if self.out and self.transport is not None:
            self.transport.write(b"".join(self.out))
            self.out = []

    def data_received(self, data: bytes) -> None:
        run = self.run
        now = time.perf_counter()
        for cid, status, seq, _body in self.reader.feed(data):
            if cid == pdu.SUBMIT_SM_RESP:
                t = self.sent_at.pop(seq, None)
                if t is not None:
                    run.t_last_resp = now
                    if status == 0:
                        run.accepted += 1
                        run.latencies.append(now - t)
                    else:
                        run.rejected[status] = run.rejected.get(status, 0) + 1
            elif cid == pdu.DELIVER_SM:
                self.out.append(pdu.HEADER.pack(17, pdu.DELIVER_SM_RESP, 0, seq) + b"\0")
                run.receipts += 1
                run.t_last = now
            elif cid in (pdu.BIND_TRANSCEIVER_RESP,):
                if not self.bound.done():
                    self.bound.set_result(status)
            elif cid == pdu.ENQUIRE_LINK:
                self.out.append(pdu.HEADER.pack(16, pdu.ENQUIRE_LINK_RESP, 0, seq))
        if self.bound.done() and run.started:
            self.fill()
        self.flush()
        run.check_done()


class Run:
    def __init__(self, n: int, window: int, bodies: list[bytes]) -> None:
        self.n = n
        self.window = window
        self.bodies = bodies
        self.next_index = 0
        self.accepted = 0
        self.rejected: dict[int, int] = {}
        self.receipts = 0
        self.latencies: list[float] = []
        self.t_first: float | None = None
        self.t_last: float | None = None
        self.t_last_resp: float | None = None
        self.started = False
        self.lost = 0
        self.done = asyncio.get_event_loop().create_future()

    def check_done(self) -> None:
        answered = self.accepted + sum(self.rejected.values())
        if not self.done.done() and answered >= self.n and self.receipts >= self.accepted:
            self.done.set_result(None)


def make_bodies(count: int, text: str, source: str) -> list[bytes]:
    bodies = []
    payload = text.encode("utf-16-be")
    for i in range(count):
        sm = pdu.ShortMessage(
            source_addr=source,
            destination_addr=f"139{i % 100_000_000:08d}",
            short_message=payload,
            data_coding=8,
            registered_delivery=1,
        )
        bodies.append(pdu.encode_sm(sm))
    return bodies


async def main_async(a: argparse.Namespace) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    run = Run(a.n, a.window, make_bodies(min(a.n, 50_000), a.text, a.source))
    clients = []
    for i in range(a.binds):
        c = Client(run, i)
        await loop.create_connection(lambda c=c: c, HOST, a.port)
        c.transport.write(
            pdu.pack(pdu.BIND_TRANSCEIVER, 0, c.next_seq(), pdu.encode_bind(pdu.Bind(a.system_id, a.password)))
        )
        status = await asyncio.wait_for(c.bound, 10)
        if status != 0:
            raise SystemExit(f"bind refused: {status:#x}")
        clients.append(c)
    run.started = True
    for c in clients:
        c.fill()
        c.flush()
    timed_out = False
    try:
        await asyncio.wait_for(run.done, a.deadline)
    except TimeoutError:
        timed_out = True
    t_end = run.t_last or time.perf_counter()
    for c in clients:
        if c.transport is not None:
            c.transport.write(pdu.pack(pdu.UNBIND, 0, c.next_seq()))
    await asyncio.sleep(0.1)
    for c in clients:
        if c.transport is not None:
            c.transport.close()
    lat = sorted(run.latencies)

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")

    elapsed = t_end - (run.t_first or t_end)
    return {
        "submitted": run.next_index,
        "accepted": run.accepted,
        "rejected": {hex(k): v for k, v in run.rejected.items()},
        "receipts": run.receipts,
        "elapsed_s": round(elapsed, 3),
        "e2e_msgs_per_s": round(run.receipts / elapsed, 1) if elapsed > 0 else 0.0,
        # accepted submit_sm per second (first submit -> last submit_sm_resp), receipts aside
        "submit_msgs_per_s": round(run.accepted / (run.t_last_resp - run.t_first), 1)
        if run.t_last_resp and run.t_first and run.t_last_resp > run.t_first
        else 0.0,
        "submit_p50_ms": round(pct(0.50), 2),
        "submit_p99_ms": round(pct(0.99), 2),
        "timed_out": timed_out,
        "connections_lost": run.lost,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--system-id", default="bench")
    p.add_argument("--password", default="benchpw")
    p.add_argument("-n", type=int, default=50_000)
    p.add_argument("--binds", type=int, default=4)
    p.add_argument("--window", type=int, default=200)
    p.add_argument("--deadline", type=float, default=120.0)
    p.add_argument("--text", default="【基准银行】您尾号1234的账户于11月22日入账500.00元")
    p.add_argument("--source", default="1069099")
    a = p.parse_args(argv)
    try:
        import uvloop

        result = uvloop.run(main_async(a))
    except ImportError:
        result = asyncio.run(main_async(a))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
