"""A minimal HTTP admin endpoint on the gateway's own event loop (local only by default).

GET /metrics   Prometheus exposition
GET /status    JSON: binds, queue depths, connector states, counters
POST /reload   reload the configuration snapshot (same as SIGHUP)
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from jike.gateway.metrics import registry_for

if TYPE_CHECKING:
    from jike.gateway.core import Gateway


async def start_admin(gateway: Gateway, host: str, port: int) -> asyncio.Server:
    registry = registry_for(gateway)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            parts = request_line.split(" ")
            method, path = (parts[0], parts[1]) if len(parts) >= 2 else ("GET", "/")
            path = path.split("?", 1)[0]
            code, ctype = 200, "application/json"
            if path == "/metrics":
                body, ctype = generate_latest(registry), CONTENT_TYPE_LATEST
            elif path == "/status":
                body = json.dumps(gateway.status(), ensure_ascii=False).encode()
            elif path == "/reload" and method == "POST":
                ok = await gateway.reload()
                code = 200 if ok else 500
                body = json.dumps({"reloaded": ok, "snapshot": gateway.snapshot.version}).encode()
            else:
                code, body = 404, b'{"error": "not found"}'
            reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}[code]
            writer.write(
                f"HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port, reuse_address=True)
