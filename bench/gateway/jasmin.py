"""Jasmin 0.11.1 as the open-source peer in the gateway benchmark.

Installs Jasmin from PyPI into a throwaway venv (var/bench-gateway/jasmin-venv, never committed),
writes a jasmin.cfg that uses the local Redis and RabbitMQ, starts jasmind with the DLR lookup,
DLR thrower and deliver_sm thrower in-process, and configures it through jCli (telnet):
group + user (the enterprise) -> default MT route -> SMPP client connector to our simulator.
"""

from __future__ import annotations

import copy
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / "var" / "bench-gateway" / "jasmin-venv"
UV = ROOT / ".tools" / "bin" / "uv"
VERSION = "0.11.1"
REDIS_DB = 13  # a database number of its own in the shared local Redis
VHOST = "jike-bench-jasmin"  # a RabbitMQ vhost of its own, made anew for every run


def fresh_vhost() -> None:
    """Jasmin's queues outlive it; a fresh vhost keeps one run's leftovers out of the next."""
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        raise RuntimeError("rabbitmqctl not found: cannot give Jasmin a clean RabbitMQ vhost")
    subprocess.run([ctl, "delete_vhost", VHOST], capture_output=True)
    subprocess.run([ctl, "add_vhost", VHOST], check=True, capture_output=True)
    subprocess.run([ctl, "set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*"], check=True, capture_output=True)


def drop_vhost() -> None:
    ctl = shutil.which("rabbitmqctl")
    if ctl is not None:
        subprocess.run([ctl, "delete_vhost", VHOST], capture_output=True)


def ensure_venv() -> Path:
    py = VENV / "bin" / "python"
    check = [str(py), "-c", "import pkg_resources, importlib.metadata as m; print(m.version('jasmin'))"]
    if py.exists() and subprocess.run(check, capture_output=True, text=True).stdout.strip() == VERSION:
        return py
    shutil.rmtree(VENV, ignore_errors=True)
    uv = str(UV) if UV.exists() else shutil.which("uv")
    if uv:
        subprocess.run([uv, "venv", "--python", "3.11", str(VENV)], check=True, capture_output=True)
        subprocess.run(
            # jasmin imports pkg_resources, which setuptools 81+ no longer ships
            [uv, "pip", "install", "--python", str(py), f"jasmin=={VERSION}", "setuptools<81"],
            check=True,
            capture_output=True,
        )
    else:
        subprocess.run(["python3", "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", f"jasmin=={VERSION}", "setuptools<81"], check=True, capture_output=True
        )
    return py


def patch_dlr_bug(py: Path, enable: bool) -> bool:
    """Jasmin 0.11.1 never returns receipts to SMPP users: managers/listeners.py reads
    ``_pdu.response`` where ``_pdu`` is the request (jookies/jasmin issue #1236, the fix given
    there is ``r.response``).  With ``enable`` the throwaway install gets that one-line fix, so
    the end-to-end path can be measured at all; without it the stock file is restored."""
    listeners = next(VENV.glob("lib/python*/site-packages/jasmin/managers/listeners.py"))
    text = listeners.read_text()
    stock = "dlr = DLR(pdu_type=_pdu.response.id, msgid=msgid, status=_pdu.response.status"
    fixed = "dlr = DLR(pdu_type=r.response.id, msgid=msgid, status=r.response.status"
    text = text.replace(fixed, stock)  # back to stock first
    text = text.replace(
        "smpp_msgid=_pdu.response.params['message_id'])", "smpp_msgid=_pdu.response.params['message_id'])"
    )
    if enable:
        text = text.replace(stock, fixed).replace(
            "smpp_msgid=_pdu.response.params['message_id'])", "smpp_msgid=r.response.params['message_id'])"
        )
    else:
        text = text.replace(
            "smpp_msgid=r.response.params['message_id'])", "smpp_msgid=_pdu.response.params['message_id'])"
        )
    listeners.write_text(text)
    for cache in listeners.parent.glob("__pycache__/listeners*.pyc"):
        cache.unlink()
    return enable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(root: Path, smpp_port: int, jcli_port: int, py: Path) -> Path:
    etc = root / "etc" / "jasmin"
    (etc / "store").mkdir(parents=True, exist_ok=True)
    (etc / "resource").mkdir(parents=True, exist_ok=True)
    (root / "var" / "log" / "jasmin").mkdir(parents=True, exist_ok=True)
    spec = next(VENV.glob("lib/python*/site-packages/txamqp/specs/standard/amqp0-9-1.stripped.xml"))
    shutil.copy(spec, etc / "resource" / "amqp0-9-1.xml")
    ports = {name: free_port() for name in ("router", "client-management", "smpp-server-pb", "interceptor")}
    cfg = f"""
[smpp-server]
bind = 127.0.0.1
port = {smpp_port}
log_level = WARNING
billing_feature = False

[smpp-server-pb]
bind = 127.0.0.1
port = {ports["smpp-server-pb"]}

[smpp-server-pb-client]
port = {ports["smpp-server-pb"]}

[client-management]
bind = 127.0.0.1
port = {ports["client-management"]}
store_path = {etc}/store
log_level = WARNING

[service-smppclient]
log_level = WARNING

[router]
bind = 127.0.0.1
port = {ports["router"]}
store_path = {etc}/store
log_level = WARNING

[interceptor]
port = {ports["interceptor"]}

[interceptor-client]
port = {ports["interceptor"]}

[jcli]
bind = 127.0.0.1
port = {jcli_port}
authentication = False

[redis-client]
host = 127.0.0.1
port = 6379
dbid = {REDIS_DB}

[amqp-broker]
host = 127.0.0.1
port = 5672
username = guest
password = guest
vhost = {VHOST}
spec = {etc}/resource/amqp0-9-1.xml

[sm-listener]
log_level = WARNING

[dlr-thrower]
log_level = WARNING

[deliversm-thrower]
log_level = WARNING

[dlr]
log_level = WARNING
"""
    path = etc / "jasmin.cfg"
    path.write_text(cfg)
    return path


class JCli:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.read_until(b"Session ref")
        time.sleep(0.3)

    def read_until(self, marker: bytes, timeout: float = 15.0) -> str:
        buf = b""
        deadline = time.monotonic() + timeout
        while marker not in buf and time.monotonic() < deadline:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            buf += chunk
        return buf.decode("latin-1", "replace")

    def cmd(self, line: str, prompt: bytes = b"jcli : ") -> str:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.read_until(prompt)

    def add(self, command: str, fields: list[str]) -> str:
        out = self.cmd(command, b"> ")
        for f in fields:
            out += self.cmd(f, b"> ")
        out += self.cmd("ok")
        return out


def configure(jcli_port: int, sim_port: int) -> None:
    j = JCli(jcli_port)
    out = j.add("group -a", ["gid bench"])
    out += j.add("user -a", ["username bench", "password benchpw", "gid bench", "uid bench"])
    out += j.add(
        "smppccm -a",
        [
            "cid sim",
            "host 127.0.0.1",
            f"port {sim_port}",
            "username jike",
            "password pw",
            "submit_throughput 0",
            "bind transceiver",
        ],
    )
    out += j.cmd("smppccm -1 sim")
    out += j.add("mtrouter -a", ["type defaultroute", "connector smppc(sim)", "rate 0.00"])
    if "Successfully added" not in out:
        raise RuntimeError(f"jCli configuration failed: {out[-1500:]}")
    j.sock.close()


def run_jasmin(
    args: Any,
    logdir: Path,
    start_sim: Callable[..., int],
    loadgen: Callable[..., dict[str, Any]],
    patched: bool = False,
    separate_daemons: bool = False,
) -> dict[str, Any]:
    from bench.gateway.run import Procs, wait_port

    py = ensure_venv()
    patch_dlr_bug(py, patched)
    root = logdir / ("jasmin-root-patched" if patched else "jasmin-root")
    smpp_port, jcli_port = free_port(), free_port()
    cfg = write_config(root, smpp_port, jcli_port, py)
    subprocess.run(["redis-cli", "-n", str(REDIS_DB), "FLUSHDB"], capture_output=True)
    fresh_vhost()
    procs = Procs()
    try:
        sim = start_sim(procs, logdir, args)
        env = dict(os.environ, ROOT_PATH=str(root), LOG_PATH=str(root / "var" / "log" / "jasmin"))
        jasmind = VENV / "bin" / "jasmind.py"
        tag = "-patched" if patched else ""
        if separate_daemons:
            # Jasmin's recommended layout: DLR lookup and DLR thrower as daemons of their own
            p = procs.start(
                [str(py), str(jasmind), "-c", str(cfg), "--disable-http-api"],
                logdir / f"jasmin{tag}.log",
                env=env,
            )
            for daemon in ("dlrlookupd.py", "dlrd.py"):
                procs.start(
                    [str(py), str(VENV / "bin" / daemon), "-c", str(cfg)],
                    logdir / f"jasmin{tag}-{daemon}.log",
                    env=env,
                )
        else:
            p = procs.start(
                [
                    str(py),
                    str(jasmind),
                    "-c",
                    str(cfg),
                    "--disable-http-api",
                    "--enable-dlr-thrower",
                    "--enable-dlr-lookup",
                    "--enable-deliver-thrower",
                ],
                logdir / f"jasmin{tag}.log",
                env=env,
            )
        wait_port(jcli_port, p, timeout=60)
        configure(jcli_port, sim)
        wait_port(smpp_port, p)
        time.sleep(2.0)  # the SMPP client connector binds to the simulator
        if patched:
            return loadgen(smpp_port, args, args.jasmin_n, "bench", "benchpw")
        # stock 0.11.1 returns no receipts to SMPP users (issue #1236): a short run shows it
        short = copy.copy(args)
        short.deadline = args.stock_deadline
        return loadgen(smpp_port, short, min(args.jasmin_n, 2000), "bench", "benchpw")
    finally:
        procs.stop_all()
        drop_vhost()
        subprocess.run(["redis-cli", "-n", str(REDIS_DB), "FLUSHDB"], capture_output=True)
