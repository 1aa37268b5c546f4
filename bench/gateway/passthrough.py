"""A do-nothing SMPP pass-through: the practical limit of this machine for the same path.

For every client connection it opens one connection to the SMSC and forwards every PDU
(framed, header re-packed) both ways: no policy, no store, no id mapping, no CDR.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from jike.gateway import pdu


class Half(asyncio.Protocol):
    def __init__(self) -> None:
        self.peer: Half | None = None
        self.transport: asyncio.Transport | None = None
        self.reader = pdu.FrameReader()
        self.pending: list[bytes] = []

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        out = [
            pdu.HEADER.pack(16 + len(body), cid, status, seq) + body
            for cid, status, seq, body in self.reader.feed(data)
        ]
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.write(b"".join(out))
        else:
            self.pending.extend(out)

    def connection_lost(self, exc):
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()


async def serve(port: int, upstream_port: int) -> None:
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()

    def factory() -> Half:
        down = Half()

        async def connect() -> None:
            up = Half()
            await loop.create_connection(lambda: up, "127.0.0.1", upstream_port)
            up.peer, down.peer = down, up
            if down.pending:
                up.transport.write(b"".join(down.pending))
                down.pending = []

        tasks.add(loop.create_task(connect()))
        return down

    server = await loop.create_server(factory, "127.0.0.1", port, reuse_address=True)
    print(f"passthrough listening on {port} -> {upstream_port}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--upstream-port", type=int, required=True)
    a = p.parse_args(argv)
    try:
        import uvloop

        uvloop.run(serve(a.port, a.upstream_port))
    except ImportError:
        asyncio.run(serve(a.port, a.upstream_port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
