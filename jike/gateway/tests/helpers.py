"""Test harness: simulator(s) + gateway on an event loop in a background thread, and an
smpplib-based enterprise client (smpplib is the independent SMPP implementation)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from pathlib import Path
from typing import Any

import smpplib.client
import smpplib.consts
import smpplib.smpp

from jike.gateway.config import Settings, load_snapshot
from jike.gateway.core import Gateway
from jike.gateway.simulator import SimConfig, Simulator

BANK = "bank"
SCHOOL = "school"
ENT_BANK = "91340100MA2TEST01X"
ENT_SCHOOL = "12340100MB1TEST02Y"


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 15.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn, *args):
        async def wrapper():
            return fn(*args)

        return self.run(wrapper())

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def base_config(ports: dict[str, int], **overrides: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "version": "test-1",
        "products": {
            "PKG": {"mode": "package", "monthly_fee_fen": 10000, "allowance": 3, "overage_fen": 5},
            "PER": {"mode": "per_message", "price_fen": 4},
            "CLS": {"mode": "content_class", "price_fen": 5, "class_prices_fen": {"marketing": 8}},
        },
        "enterprises": [
            {
                "code": ENT_BANK,
                "name": "某银行合肥分行",
                "accounts": [
                    {
                        "system_id": BANK,
                        "password": "bankpw",
                        "allowed_ips": ["127.0.0.0/8"],
                        "max_binds": 3,
                        "signature": "【某银行】",
                        "signature_mode": "added",
                        "blacklist": ["13800000002"],
                        "keywords": ["贷款"],
                        "product": "PER",
                        "mo_addresses": ["1069001"],
                    }
                ],
            },
            {
                "code": ENT_SCHOOL,
                "name": "某中学",
                "accounts": [
                    {
                        "system_id": SCHOOL,
                        "password_sha256": "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3",
                        "signature": "【某中学】",
                        "signature_mode": "required",
                        "product": "PKG",
                    }
                ],
            },
        ],
        "blacklist": ["13800000001"],
        "keywords": ["赌博"],
        "routes": [{"prefix": "", "connectors": list(ports)}],
        "connectors": [
            {
                "name": name,
                "host": "127.0.0.1",
                "port": port,
                "system_id": "jike",
                "password": "smscpw",
                "binds": 2,
                "window": 32,
                "reconnect_min_s": 0.05,
                "reconnect_max_s": 0.5,
                "failover_after_s": 0.3,
            }
            for name, port in ports.items()
        ],
    }
    cfg.update(overrides)
    return cfg


def account(cfg: dict[str, Any], system_id: str) -> dict[str, Any]:
    for ent in cfg["enterprises"]:
        for acc in ent["accounts"]:
            if acc["system_id"] == system_id:
                return acc  # type: ignore[no-any-return]
    raise KeyError(system_id)


class Env:
    """Simulators and a gateway running in one background event loop."""

    def __init__(self, tmp: Path, sims: dict[str, SimConfig] | None = None, **settings: Any) -> None:
        self.tmp = tmp
        self.lt = LoopThread()
        self.sims: dict[str, Simulator] = {}
        for name, sc in (sims or {"smsc-a": SimConfig(port=0)}).items():
            sim = Simulator(sc)
            self.lt.run(sim.start())
            self.sims[name] = sim
        self.config_path = tmp / "gateway.json"
        self.settings = Settings(
            host="127.0.0.1",
            port=0,
            admin_port=0,
            data_dir=str(tmp / "data"),
            cdr_flush_s=0.1,
            reload_poll_s=60.0,
        )
        for k, v in settings.items():
            setattr(self.settings, k, v)
        self.gw: Gateway | None = None
        self.closed = False

    def sim_ports(self) -> dict[str, int]:
        return {name: sim.port for name, sim in self.sims.items()}

    def write_config(self, cfg: dict[str, Any]) -> None:
        self.config_path.write_text(json.dumps(cfg, ensure_ascii=False))

    def start(self, cfg: dict[str, Any] | None = None) -> Gateway:
        if cfg is not None:
            self.write_config(cfg)

        async def boot() -> Gateway:
            gw = Gateway(self.settings, load_snapshot(self.config_path), str(self.config_path))
            await gw.start()
            return gw

        self.gw = self.lt.run(boot())
        self.wait_connectors()
        return self.gw

    def wait_connectors(self, timeout: float = 5.0) -> None:
        assert self.gw is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ups = self.lt.call(lambda: [c.up for c in self.gw.connectors.values()])
            if all(ups):
                return
            time.sleep(0.02)

    @property
    def port(self) -> int:
        assert self.gw is not None
        return self.gw.port

    def received(self, sim: str = "smsc-a") -> list[Any]:
        got: list[Any] = self.lt.call(lambda: list(self.sims[sim].received))
        return got

    def wait_received(self, n: int, sim: str = "smsc-a", timeout: float = 10.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received(sim)
            if len(got) >= n:
                return got
            time.sleep(0.02)
        return self.received(sim)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.gw is not None:
            self.lt.run(self.gw.stop())
        for sim in self.sims.values():
            self.lt.run(sim.stop())
        self.lt.stop()


# --- the enterprise side: smpplib ------------------------------------------------------------


class Esme:
    """A thin wrapper over smpplib's blocking client that keeps what it reads."""

    def __init__(self, port: int, timeout: float = 5.0) -> None:
        self.client = smpplib.client.Client("127.0.0.1", port, timeout=timeout, allow_unknown_opt_params=True)
        self.client.connect()
        self.resps: dict[int, Any] = {}
        self.delivers: list[Any] = []

    def bind(self, system_id: str, password: str, mode: str = "transceiver") -> Any:
        return getattr(self.client, f"bind_{mode}")(system_id=system_id, password=password)

    def submit(self, dest: str, short_message: bytes = b"", **kw: Any) -> int:
        kw.setdefault("source_addr", "1069001")
        kw.setdefault("data_coding", smpplib.consts.SMPP_ENCODING_ISO10646)
        if short_message:
            kw["short_message"] = short_message
        pdu = self.client.send_message(destination_addr=dest, **kw)
        return int(pdu.sequence)

    def submit_text(self, dest: str, text: str, **kw: Any) -> int:
        return self.submit(dest, text.encode("utf-16-be"), **kw)

    def read(self, timeout: float = 5.0) -> Any:
        self.client._socket.settimeout(timeout)
        pdu = self.client.read_pdu()
        if pdu.command == "submit_sm_resp":
            self.resps[pdu.sequence] = pdu
        elif pdu.command == "deliver_sm":
            self.delivers.append(pdu)
            resp = smpplib.smpp.make_pdu("deliver_sm_resp", client=self.client)
            resp.sequence = pdu.sequence
            self.client.send_pdu(resp)
        elif pdu.command == "enquire_link":
            resp = smpplib.smpp.make_pdu("enquire_link_resp", client=self.client)
            resp.sequence = pdu.sequence
            self.client.send_pdu(resp)
        return pdu

    def wait_resps(self, seqs: list[int], timeout: float = 10.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while any(s not in self.resps for s in seqs) and time.monotonic() < deadline:
            self.read(max(0.05, deadline - time.monotonic()))
        return [self.resps[s] for s in seqs]

    def status_of(self, seq: int) -> int:
        return int(self.wait_resps([seq])[0].status)

    def wait_delivers(self, n: int, timeout: float = 10.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.delivers) < n and time.monotonic() < deadline:
            try:
                self.read(max(0.05, deadline - time.monotonic()))
            except TimeoutError:
                break
        return self.delivers

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.disconnect()


def receipt_id(pdu: Any) -> str:
    rid = pdu.receipted_message_id
    if isinstance(rid, bytes):
        rid = rid.decode()
    return str(rid).rstrip("\0")


# --- large snapshots (reload test and bench/gateway/reload.py) -----------------------------------

_WORDS = [
    "贷款",
    "赌博",
    "彩票",
    "代开发票",
    "办证",
    "刷单",
    "返利",
    "套现",
    "中奖",
    "博彩",
    "六合彩",
    "私服",
    "外挂",
    "代考",
    "枪支",
    "迷药",
    "窃听",
    "假币",
    "高利贷",
    "网贷",
    "loan",
    "casino",
    "lottery",
    "invoice",
    "refund",
    "cashback",
    "bonus",
    "prize",
    "betting",
    "jackpot",
    "crypto",
    "forex",
    "leverage",
]


def many_accounts_config(
    ports: dict[str, int], n: int, shared_sets: int = 50, unique_every: int = 10
) -> dict[str, Any]:
    """A snapshot with `n` accounts in n/10 enterprises, shaped like the platform's export: each
    account has ~20 keywords, a black list, service numbers and a password hash. Keyword sets come
    from `shared_sets` templates (accounts of one industry share one), and every `unique_every`-th
    account has its own set. 10,000 accounts make a file of ~8-9 MB."""
    sets = []
    for s in range(shared_sets):
        words = [f"{_WORDS[(s + k) % len(_WORDS)]}{k}" for k in range(20)]
        sets.append(words)
    cfg = base_config(ports)
    enterprises = []
    for e in range(max(1, n // 10)):
        accounts = []
        for a in range(10):
            i = e * 10 + a
            if i >= n:
                break
            if unique_every and i % unique_every == 0:
                keywords = [f"{_WORDS[k % len(_WORDS)]}{i}-{k}" for k in range(20)]
            else:
                keywords = sets[i % shared_sets]
            accounts.append(
                {
                    "system_id": f"acc{i:06d}",
                    "password_sha256": f"{i:064x}",
                    "allowed_ips": ["10.20.0.0/16", "192.168.1.0/24"],
                    "max_binds": 4,
                    "signature": f"【企业{i}】",
                    "signature_mode": "added",
                    "blacklist": [f"1380000{(i + k) % 10000:04d}" for k in range(5)],
                    "whitelist": [],
                    "whitelist_mode": False,
                    "keywords": keywords,
                    "rate": 200,
                    "daily_quota": 500000,
                    "product": "PER",
                    "content_class": "notification",
                    "mo_addresses": [f"1069{i:06d}"],
                    "enabled": True,
                    "max_priority": 1,
                }
            )
        enterprises.append({"code": f"91340100MA{e:08d}", "name": f"测试企业{e}", "accounts": accounts})
    cfg["enterprises"] = cfg["enterprises"] + enterprises
    return cfg
