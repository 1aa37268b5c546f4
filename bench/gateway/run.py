"""`make bench-gateway`: end-to-end SMS throughput and submit latency on this machine.

Same run, same simulator settings, same load generator, three systems on the path
enterprise client -> system -> SMSC simulator -> receipt back to the client:

* passthrough  a do-nothing SMPP forwarder (the machine's practical limit)
* jike         the gateway with every policy step, the WAL (fsync per batch) and CDRs to PostgreSQL
* jasmin       Jasmin 0.11.1 from PyPI in a throwaway venv (var/bench-gateway/jasmin-venv),
               configured through jCli: SMPP user -> MT route -> SMPP client connector

Only 127.0.0.1 is used; every process is started here and stopped by its pid.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var" / "bench-gateway"
PY = sys.executable
JIKE = str(Path(PY).with_name("jike"))
PG_BASE = os.environ.get("JIKE_GATEWAY_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
TEXT = "【基准银行】您尾号1234的账户于11月22日入账500.00元"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes] | None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


class Procs:
    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        fh = open(log, "ab")  # noqa: SIM115
        p = subprocess.Popen(args, stdout=fh, stderr=fh, env=env, cwd=ROOT)
        self.procs.append(p)
        return p

    def stop_all(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        self.procs = []


def start_sim(procs: Procs, logdir: Path, args: argparse.Namespace) -> int:
    """Start the SMSC simulator; its pid is procs.procs[-1].pid."""
    port = free_port()
    p = procs.start(
        [
            JIKE,
            "smsc-sim",
            "--port",
            str(port),
            "--latency-ms",
            str(args.sim_latency_ms),
            "--receipt-delay-ms",
            str(args.receipt_delay_ms),
        ],
        logdir / "sim.log",
    )
    wait_port(port, p)
    return port


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc; None elsewhere or when gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU per message of the processes on the path, read around one load-generator pass.

    Throughput on a shared machine swings with everybody else's work; the CPU a process spends
    per message does not, so it is the figure to compare two versions of the code with."""

    def __init__(self, procs: dict[str, int]) -> None:
        self.procs = procs
        self.start = {name: cpu_seconds(pid) for name, pid in procs.items()}

    def result(self, messages: int) -> dict[str, float]:
        out = {}
        for name, pid in self.procs.items():
            before, after = self.start[name], cpu_seconds(pid)
            if before is not None and after is not None and messages:
                out[name] = round((after - before) / messages * 1e6, 1)
        return out


def loadgen(port: int, args: argparse.Namespace, n: int, system_id: str, password: str) -> dict[str, Any]:
    cmd = [PY, "-m", "bench.gateway.loadgen", "--port", str(port), "-n", str(n)]
    cmd += ["--binds", str(args.binds), "--window", str(args.window), "--deadline", str(args.deadline)]
    cmd += ["--system-id", system_id, "--password", password, "--text", TEXT]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=args.deadline + 60)
    if out.returncode != 0:
        raise RuntimeError(f"loadgen failed: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def native_build_note() -> str:
    """Whether this tree's mypyc build is in use: it also serves the load generator, the simulator
    and the pass-through, which import jike.gateway.pdu (and the simulator jike.gateway.session)."""
    from jike.gateway.native import COMPILED, fresh_build_dir

    if os.environ.get("JIKE_GATEWAY_NATIVE") == "0":
        return "gateway native build: disabled (JIKE_GATEWAY_NATIVE=0), every process runs plain Python"
    if fresh_build_dir() is None:
        return "gateway native build: none or stale (make bootstrap builds it), every process runs plain Python"
    return (
        f"gateway native build: in use ({', '.join(COMPILED)}); the load generator, simulator and "
        "pass-through use its pdu (and the simulator its session) too"
    )


# --- the three systems ------------------------------------------------------------------------


def run_passthrough(args: argparse.Namespace, logdir: Path) -> dict[str, Any]:
    procs = Procs()
    try:
        sim = start_sim(procs, logdir, args)
        sim_pid = procs.procs[-1].pid
        port = free_port()
        p = procs.start(
            [PY, "-m", "bench.gateway.passthrough", "--port", str(port), "--upstream-port", str(sim)],
            logdir / "passthrough.log",
        )
        wait_port(port, p)
        meter = CpuMeter({"passthrough": p.pid, "sim": sim_pid})
        result = loadgen(port, args, args.n, "bench", "benchpw")
        result["cpu_us_per_msg"] = meter.result(result["accepted"])
        return result
    finally:
        procs.stop_all()


def jike_config(sim_port: int, gw_port: int, admin_port: int, data_dir: Path, dsn: str) -> dict[str, Any]:
    return {
        "version": "bench",
        "gateway": {
            "host": "127.0.0.1",
            "port": gw_port,
            "admin_port": admin_port,
            "data_dir": str(data_dir),
            "cdr_dsn": dsn,
            "log_level": "WARNING",
            "max_pending": 200_000,
        },
        "products": {"PER": {"mode": "per_message", "price_fen": 4}},
        "enterprises": [
            {
                "code": "91340100MA2BENCH1X",
                "name": "基准银行",
                "accounts": [
                    {
                        "system_id": "bench",
                        "password": "benchpw",
                        "allowed_ips": ["127.0.0.1/32"],
                        "max_binds": 16,
                        "signature": "【基准银行】",
                        "signature_mode": "required",
                        "blacklist": [f"138{i:08d}" for i in range(5_000)],
                        "keywords": [f"违禁词{i}" for i in range(200)],
                        "rate": 1_000_000,
                        "daily_quota": 1_000_000_000,
                        "product": "PER",
                        "mo_addresses": ["1069099"],
                    }
                ],
            }
        ],
        "blacklist": [f"137{i:08d}" for i in range(10_000)],
        "keywords": ["赌博", "发票", "代开"],
        "routes": [
            {"prefixes": ["139", "138", "137", "135", "136"], "connectors": ["sim-1", "sim-2"]},
            {"prefix": "", "connectors": ["sim-1"]},
        ],
        "connectors": [
            {"name": "sim-1", "port": sim_port, "system_id": "jike", "password": "pw", "binds": 4, "window": 256},
            {"name": "sim-2", "port": sim_port, "system_id": "jike", "password": "pw", "binds": 1, "window": 64},
        ],
    }


def ensure_bench_db() -> str:
    import psycopg

    from jike.gateway.cdr import ensure_schema

    name = "jike_gateway_bench"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    dsn = PG_BASE.rsplit("/", 1)[0] + "/" + name
    ensure_schema(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE gateway_cdr")
    return dsn


def run_jike(args: argparse.Namespace, logdir: Path) -> dict[str, Any]:
    procs = Procs()
    try:
        dsn = ensure_bench_db()
        sim = start_sim(procs, logdir, args)
        sim_pid = procs.procs[-1].pid
        gw_port, admin_port = free_port(), free_port()
        data_dir = logdir / "jike-data"
        cfg = jike_config(sim, gw_port, admin_port, data_dir, dsn)
        cfg_path = logdir / "jike.json"
        cfg_path.write_text(json.dumps(cfg, ensure_ascii=False))
        p = procs.start([JIKE, "gateway", "--config", str(cfg_path)], logdir / "jike.log")
        wait_port(gw_port, p)
        time.sleep(0.5)  # connectors bind
        meter = CpuMeter({"jike": p.pid, "sim": sim_pid})
        result = loadgen(gw_port, args, args.n, "bench", "benchpw")
        status = subprocess.run(
            [JIKE, "gateway-status", "--admin", f"http://127.0.0.1:{admin_port}", "--json"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if status.returncode == 0:
            st = json.loads(status.stdout)
            result["gateway_wal_batches"] = st["wal"]["batches"]
            result["gateway_wal_records"] = st["wal"]["records"]
            result["gateway_wal_write_fsync_s"] = st["wal"]["fsync_seconds_total"]
            result["gateway_accepted"] = st["counters"]["accepted"]
            result["gateway_compiled_modules"] = st.get("compiled_modules", [])
        # CDRs land within a flush interval or two
        import psycopg

        deadline = time.monotonic() + 30
        cdrs = 0
        while time.monotonic() < deadline:
            with psycopg.connect(dsn) as conn:
                row = conn.execute("SELECT count(*) FROM gateway_cdr").fetchone()
                cdrs = row[0] if row else 0
            if cdrs >= result["accepted"]:
                break
            time.sleep(0.5)
        result["cdrs_in_postgres"] = cdrs
        # read after the CDRs are in: the gateway's COPY of the last batches counts too
        result["cpu_us_per_msg"] = meter.result(result["accepted"])
        return result
    finally:
        procs.stop_all()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", type=int, default=100_000, help="messages per system")
    p.add_argument("--jasmin-n", type=int, default=10_000, help="messages for Jasmin (it is much slower)")
    p.add_argument("--binds", type=int, default=4)
    p.add_argument("--window", type=int, default=100, help="outstanding submit_sm per bind")
    p.add_argument("--deadline", type=float, default=180.0, help="hard time limit per system (s)")
    p.add_argument("--sim-latency-ms", type=float, default=0.0)
    p.add_argument(
        "--receipt-delay-ms",
        type=float,
        default=500.0,
        help="SMSC receipt delay (a real one takes seconds; Jasmin loses receipts that beat its DLR map)",
    )
    p.add_argument(
        "--only", choices=["passthrough", "jike", "jasmin", "jasmin-fixed"], action="append", help="repeatable"
    )
    p.add_argument(
        "--jasmin-in-process",
        action="store_true",
        help="run Jasmin's DLR lookup/thrower inside jasmind (default: its recommended separate daemons)",
    )
    p.add_argument("--stock-deadline", type=float, default=30.0, help="time limit for stock Jasmin (s)")
    p.add_argument("--repeat", type=int, default=3, help="rounds of passthrough/jike (median reported)")
    p.add_argument("--json", type=Path, help="also write the results here")
    a = p.parse_args(argv)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    logdir = VAR / stamp
    logdir.mkdir(parents=True, exist_ok=True)
    systems = a.only or ["passthrough", "jike", "jasmin", "jasmin-fixed"]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in systems}
    # systems take turns, `repeat` rounds: the machine is shared, so a round-robin median is fairer
    for rnd in range(a.repeat):
        for name in systems:
            if name.startswith("jasmin") and rnd > 0:
                continue  # one Jasmin round: it is far slower and its figure is not close
            print(f"round {rnd + 1}/{a.repeat}: {name} ...", flush=True)
            try:
                if name == "passthrough":
                    r = run_passthrough(a, logdir)
                elif name == "jike":
                    r = run_jike(a, logdir)
                else:
                    from bench.gateway.jasmin import run_jasmin

                    r = run_jasmin(
                        a,
                        logdir,
                        start_sim,
                        loadgen,
                        patched=name == "jasmin-fixed",
                        separate_daemons=not a.jasmin_in_process,
                    )
            except Exception as exc:  # report, never invent a figure
                r = {"error": f"{type(exc).__name__}: {exc}"}
            runs[name].append(r)
            if "error" not in r:
                print(f"  {r['e2e_msgs_per_s']:.0f} msgs/s, p50 {r['submit_p50_ms']} ms, p99 {r['submit_p99_ms']} ms")
    results: dict[str, dict[str, Any]] = {}
    for name, rs in runs.items():
        ok = sorted((r for r in rs if "error" not in r), key=lambda r: r["e2e_msgs_per_s"])
        results[name] = ok[len(ok) // 2] if ok else rs[-1]
        results[name]["all_runs_msgs_per_s"] = [r.get("e2e_msgs_per_s") for r in rs]
    base = results.get("passthrough", {}).get("e2e_msgs_per_s")
    print()
    print(
        f"{'system':<12} {'msgs':>8} {'msgs/s e2e':>11} {'submit/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'vs pass':>8}  notes"
    )
    for name, r in results.items():
        if "error" in r:
            print(f"{name:<12} {'-':>8} {'-':>11} {'-':>9} {'-':>8} {'-':>8} {'-':>8}  NOT MEASURED: {r['error']}")
            continue
        ratio = f"{r['e2e_msgs_per_s'] / base:.2f}" if base else "-"
        notes = []
        if len(r["all_runs_msgs_per_s"]) > 1:
            notes.append(f"median of {r['all_runs_msgs_per_s']}")
        if r.get("rejected"):
            notes.append(f"rejected={r['rejected']}")
        if r.get("timed_out"):
            notes.append(f"TIMED OUT: receipts {r['receipts']}/{r['accepted']}")
        if name == "jasmin":
            notes.append("stock 0.11.1")
        if name == "jasmin-fixed":
            notes.append("0.11.1 + one-line fix of jookies/jasmin#1236 (DLRs to SMPP users)")
        if "cdrs_in_postgres" in r:
            notes.append(f"cdrs={r['cdrs_in_postgres']}")
        if "gateway_compiled_modules" in r:
            notes.append(f"compiled={','.join(r['gateway_compiled_modules']) or 'none'}")
        cpu = [x.get("cpu_us_per_msg", {}) for x in runs[name] if "error" not in x]
        if any(cpu):
            per = "/".join(str(c.get(name, "-")) for c in cpu)
            sim = "/".join(str(c.get("sim", "-")) for c in cpu)
            notes.append(f"CPU us/msg {name} {per}, sim {sim}")
        print(
            f"{name:<12} {r['accepted']:>8} {r['e2e_msgs_per_s']:>11.0f} {r.get('submit_msgs_per_s', 0):>9.0f} "
            f"{r['submit_p50_ms']:>8.1f} "
            f"{r['submit_p99_ms']:>8.1f} {ratio:>8}  {' '.join(notes)}"
        )
    load = os.getloadavg()
    print(
        f"\nlogs: {logdir}  (binds={a.binds} window={a.window} sim latency={a.sim_latency_ms} ms, "
        f"receipt delay={a.receipt_delay_ms} ms; e2e = receipts / (last receipt - first submit))"
    )
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    print(native_build_note())
    if a.json:
        a.json.write_text(json.dumps(results, indent=2))
    (logdir / "results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
