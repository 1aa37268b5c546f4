"""Held parts of concatenated messages survive kill -9: parts acknowledged but still waiting for the
rest are held again after the restart; a group already judged is forwarded as judged (signature
added), not held again; a refused group's receipts still reach the enterprise."""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter

import smpplib.consts

from jike.gateway import text
from jike.gateway.simulator import SimConfig, Simulator
from jike.gateway.tests.helpers import BANK, Esme, LoopThread, base_config, receipt_id
from jike.gateway.tests.test_recovery import free_port, start_gateway, stop_gateways, wait_port

SIG = "【某银行】"


def parts_of(chunks: list[str], ref: int) -> list[bytes]:
    return [text.udh_concat(ref, len(chunks), i + 1) + c.encode("utf-16-be") for i, c in enumerate(chunks)]


def submit_parts(esme: Esme, parts: list[bytes]) -> list[int]:
    return [
        esme.submit("13912345678", p, data_coding=8, esm_class=smpplib.consts.SMPP_GSMFEAT_UDHI, registered_delivery=1)
        for p in parts
    ]


def test_held_parts_survive_kill_dash_nine(tmp_path):
    lt = LoopThread()
    sim = Simulator(SimConfig(port=0, receipt_delay_ms=50))
    lt.run(sim.start())
    gw_port, dead_port = free_port(), free_port()
    cfg = base_config({"smsc-a": dead_port})  # first run: the SMSC is unreachable, nothing leaves
    cfg["connectors"][0].update(reconnect_min_s=0.05, reconnect_max_s=0.2)
    cfg["gateway"] = {"host": "127.0.0.1", "port": gw_port, "admin_port": -1, "data_dir": str(tmp_path / "data"),
                      "log_level": "WARNING"}  # fmt: skip
    cfg_path = tmp_path / "gateway.json"
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False))
    log_path = tmp_path / "gateway.log"
    procs = [start_gateway(cfg_path, log_path)]
    receipts: dict[str, bytes] = {}
    try:
        wait_port(gw_port, procs[0])
        esme = Esme(gw_port)
        esme.bind(BANK, "bankpw")
        a = parts_of(["第一段，", "第二段，", "第三段。"], ref=1)  # A: two of three parts before the crash
        b = parts_of(["您的账单已出，", "请按时还款。"], ref=2)  # B: whole, judged: signature into part 1
        c = parts_of([f"{SIG}低息贷", "款"], ref=3)  # C: whole, refused (keyword across parts)
        seqs = submit_parts(esme, a[:2] + b + c)
        resps = esme.wait_resps(seqs)
        assert all(r.status == 0 for r in resps)
        ids = [r.message_id.decode() for r in resps]
        time.sleep(0.5)  # the judgement of B and C reaches the WAL
        for d in esme.delivers:
            receipts[receipt_id(d)] = d.short_message
        os.kill(procs[0].pid, signal.SIGKILL)
        procs[0].wait(5)
        esme.close()
        assert lt.call(lambda: len(sim.received)) == 0

        cfg["connectors"][0]["port"] = sim.port  # the SMSC is back
        # B was judged before the crash (G record): it is not judged again under the new keyword,
        # so the parts of one message never get different verdicts (some may have left already)
        cfg["enterprises"][0]["accounts"][0]["keywords"] = ["贷款", "账单"]
        cfg_path.write_text(json.dumps(cfg, ensure_ascii=False))
        procs.append(start_gateway(cfg_path, log_path))
        wait_port(gw_port, procs[1])
        esme = Esme(gw_port)
        esme.bind(BANK, "bankpw")
        time.sleep(0.5)
        assert lt.call(lambda: len(sim.received)) == 2  # B went out; A is held again
        [seq] = submit_parts(esme, a[2:])
        ids.append(esme.wait_resps([seq])[0].message_id.decode())
        deadline = time.monotonic() + 15
        while len(receipts) < 7 and time.monotonic() < deadline:
            esme.wait_delivers(len(esme.delivers) + 1, timeout=0.5)
            for d in esme.delivers:
                receipts[receipt_id(d)] = d.short_message
        received = lt.call(lambda: list(sim.received))
        by_ref: dict[int, list[str]] = {}
        for r in received:
            by_ref.setdefault(r.data[3], []).append(r.data[6:].decode("utf-16-be"))
        assert by_ref == {2: [f"{SIG}您的账单已出，", "请按时还款。"], 1: [f"{SIG}第一段，", "第二段，", "第三段。"]}
        assert max(Counter(r.data for r in received).values()) == 1  # nothing twice
        assert set(receipts) == set(ids)  # every part of A, B, C has its receipt
        stats = [receipts[i].split(b"stat:")[1][:7] for i in ids]
        assert stats == [b"DELIVRD"] * 4 + [b"REJECTD"] * 2 + [b"DELIVRD"]
        esme.close()
    finally:
        stop_gateways(procs)
        lt.run(sim.stop())
        lt.stop()
