"""kill -9 in the middle of a stream: acknowledged messages are delivered exactly once (bar
those the SMSC's answer to was lost with the process), and every receipt still arrives."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import smpplib.exceptions

from jike.gateway import native
from jike.gateway.simulator import SimConfig, Simulator
from jike.gateway.tests.helpers import BANK, Esme, LoopThread, base_config, receipt_id

JIKE = str(Path(sys.executable).with_name("jike"))
N = 3000
KILL_AFTER = 1200
WINDOW = 100


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_gateways(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM the gateway processes still running, SIGKILL those that do not stop within 5 s."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


def start_gateway(cfg_path, log_path):
    log = open(log_path, "ab")  # noqa: SIM115
    proc = subprocess.Popen([JIKE, "gateway", "--config", str(cfg_path)], stdout=log, stderr=log)
    return proc


def wait_port(port, proc, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "gateway exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("gateway did not listen")


def compiled_modules_of(admin_port, timeout=5):
    """What the running gateway reports in /status (its admin endpoint starts just after SMPP)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/status", timeout=2) as resp:
                return json.loads(resp.read())["compiled_modules"]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_kill_dash_nine_recovery(tmp_path):
    lt = LoopThread()
    sim = Simulator(SimConfig(port=0, receipt_delay_ms=1500))
    lt.run(sim.start())
    gw_port, admin_port = free_port(), free_port()
    cfg = base_config({"smsc-a": sim.port})
    cfg["connectors"][0].update(binds=2, window=32)
    cfg["gateway"] = {
        "host": "127.0.0.1",
        "port": gw_port,
        "admin_port": admin_port,
        "data_dir": str(tmp_path / "data"),
        "log_level": "WARNING",
    }
    cfg_path = tmp_path / "gateway.json"
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False))
    log_path = tmp_path / "gateway.log"
    proc = start_gateway(cfg_path, log_path)
    procs = [proc]
    try:
        wait_port(gw_port, proc)
        # the crash is survived by the same code that runs in production: compiled whenever this
        # tree's build is current (make bootstrap), plain Python with JIKE_GATEWAY_NATIVE=0
        assert compiled_modules_of(admin_port) == (list(native.COMPILED) if native.fresh_build_dir() else [])
        esme = Esme(gw_port)
        esme.bind(BANK, "bankpw")
        seq_to_i: dict[int, int] = {}
        acked: dict[int, str] = {}  # message index -> our message id
        receipts: set[str] = set()
        sent = 0
        killed_at = None
        try:
            while True:
                while sent < N and len(seq_to_i) - len(acked) < WINDOW and killed_at is None:
                    seq = esme.submit_text(f"139{sent:08d}", f"【某银行】msg-{sent:05d}", registered_delivery=1)
                    seq_to_i[seq] = sent
                    sent += 1
                pdu = esme.read(timeout=5)
                if pdu.command == "submit_sm_resp" and pdu.status == 0:
                    acked[seq_to_i[pdu.sequence]] = pdu.message_id.decode()
                elif pdu.command == "deliver_sm":
                    receipts.add(receipt_id(pdu))
                if killed_at is None and len(acked) >= KILL_AFTER:
                    os.kill(proc.pid, signal.SIGKILL)
                    killed_at = time.time()
                if sent >= N and len(acked) >= N:
                    break
        except (smpplib.exceptions.ConnectionError, OSError):
            pass
        assert killed_at is not None
        proc.wait(5)
        esme.close()
        received_before = lt.call(lambda: len(sim.received))
        assert KILL_AFTER <= len(acked) < N

        # restart on the same data directory
        proc = start_gateway(cfg_path, log_path)
        procs.append(proc)
        wait_port(gw_port, proc)
        esme = Esme(gw_port)
        esme.bind(BANK, "bankpw", "receiver")
        want = set(acked.values())
        deadline = time.monotonic() + 30
        while not want <= receipts and time.monotonic() < deadline:
            try:
                pdu = esme.read(timeout=1)
            except TimeoutError:
                continue
            if pdu.command == "deliver_sm":
                receipts.add(receipt_id(pdu))
        missing_receipts = want - receipts
        assert not missing_receipts, f"{len(missing_receipts)} receipts lost"

        received = lt.call(lambda: list(sim.received))
        counts = Counter(r.data.decode("utf-16-be") for r in received)
        for i in acked:
            assert counts[f"【某银行】msg-{i:05d}"] >= 1, f"acknowledged message {i} never reached the SMSC"
        dups = {t: n for t, n in counts.items() if n > 1}
        # a duplicate is only allowed for a message in flight upstream when the gateway died:
        # its first copy reached the SMSC before the kill, and there are at most binds*window of them
        first_seen = {}
        for idx, r in enumerate(received):
            first_seen.setdefault(r.data.decode("utf-16-be"), idx)
        assert all(first_seen[t] < received_before for t in dups)
        assert len(dups) <= 2 * 32, f"{len(dups)} duplicates"
        assert all(n == 2 for n in dups.values())
        # ... and they were genuinely in flight: first seen by the SMSC just before the kill
        first_at = {}
        for r in received:
            first_at.setdefault(r.data.decode("utf-16-be"), r.at)
        assert all(killed_at - 1.0 <= first_at[t] <= killed_at + 0.1 for t in dups)
        print(f"acked={len(acked)} sim_received={len(received)} duplicates={len(dups)}")
        esme.close()
    finally:
        stop_gateways(procs)
        lt.run(sim.stop())
        lt.stop()
