"""The configuration snapshot: enterprises, accounts, lists, products, routes and connectors.

The platform owns this data and exports it; a JSON file provides it as well (for tests, for a
first run, and when the platform is down).  A snapshot is immutable: a reload builds a new one
and swaps it in, so the hot path never sees a half-applied change.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import hmac
import ipaddress
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SIGNATURE_MODES = ("none", "required", "added")
ORDERING_MODES = ("destination", "account")
CHARGING_MODES = ("package", "per_message", "content_class")


class ConfigError(ValueError):
    pass


def normalize_number(number: str) -> str:
    n = number.strip()
    if n.startswith("+"):
        n = n[1:]
    if n.startswith("86") and len(n) == 13:
        n = n[2:]
    return n


@dataclass(slots=True, frozen=True)
class Product:
    code: str
    mode: str
    monthly_fee_fen: int = 0
    allowance: int = 0
    overage_fen: int = 0
    price_fen: int = 0
    class_prices_fen: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Account:
    system_id: str
    enterprise_code: str
    enterprise_name: str
    password: str = ""
    password_sha256: str = ""
    allowed_ips: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    max_binds: int = 4
    signature: str = ""
    signature_mode: str = "none"
    blacklist: frozenset[str] = frozenset()
    whitelist: frozenset[str] = frozenset()
    whitelist_mode: bool = False
    keywords: tuple[str, ...] = ()
    keyword_re: re.Pattern[str] | None = None
    rate: int = 0  # messages per second, 0 = unlimited
    daily_quota: int = 0  # messages per day, 0 = unlimited
    product: str = ""
    content_class: str = "notification"
    mo_addresses: tuple[str, ...] = ()
    enabled: bool = True
    # upstream order guarantee: per destination number (default) or across the whole account
    ordering: str = "destination"
    # highest priority_flag the account may use (0-3; 3 = no limit, the default of older snapshots)
    max_priority: int = 3

    def check_password(self, password: str) -> bool:
        if self.password_sha256:
            digest = hashlib.sha256(password.encode()).hexdigest()
            return hmac.compare_digest(digest, self.password_sha256.lower())
        return hmac.compare_digest(password.encode(), self.password.encode())

    def ip_allowed(self, ip: str) -> bool:
        if not self.allowed_ips:
            return True
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in net for net in self.allowed_ips)


@dataclass(slots=True, frozen=True)
class ConnectorConfig:
    name: str
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    binds: int = 1
    window: int = 64
    enquire_link_s: float = 30.0
    reconnect_min_s: float = 0.2
    reconnect_max_s: float = 10.0
    throttle_backoff_s: float = 0.05
    failover_after_s: float = 1.0


@dataclass(slots=True)
class Snapshot:
    version: str
    accounts: dict[str, Account]
    products: dict[str, Product]
    blacklist: frozenset[str]
    keyword_re: re.Pattern[str] | None
    routes: dict[str, tuple[str, ...]]
    route_lengths: tuple[int, ...]
    connectors: dict[str, ConnectorConfig]
    mo_routes: dict[str, str]  # service number prefix -> system_id
    raw: dict[str, Any]  # the file's top-level items except `enterprises` (parsed into `accounts`)

    def route(self, destination: str) -> tuple[str, ...] | None:
        routes = self.routes
        for n in self.route_lengths:
            hit = routes.get(destination[:n])
            if hit is not None and len(destination) >= n:
                return hit
        return None

    def mo_account(self, destination: str) -> str | None:
        for prefix in sorted(self.mo_routes, key=len, reverse=True):
            if destination.startswith(prefix):
                return self.mo_routes[prefix]
        return None


def _keyword_re(words: list[str] | tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = sorted({w for w in words if w}, key=len, reverse=True)
    if not cleaned:
        return None
    return re.compile("|".join(re.escape(w) for w in cleaned), re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """Parsed once per distinct network (accounts of one enterprise usually share theirs)."""
    return ipaddress.ip_network(text, strict=False)


KeywordCache = dict[tuple[str, ...], "re.Pattern[str] | None"]

# Compiled keyword patterns of the last parsed snapshot, by keyword tuple. Compiling is most of the
# cost of loading a large snapshot; accounts sharing a keyword set share one pattern, and a reload
# compiles only the sets that are new. Replaced (not grown) by every parse, so it holds at most the
# sets of one snapshot. Swapping a dict is atomic, so parses in worker threads may race harmlessly.
_keyword_cache: KeywordCache = {}


def _cached_keyword_re(words: tuple[str, ...], used: KeywordCache) -> re.Pattern[str] | None:
    try:
        return used[words]
    except KeyError:
        pass
    pattern = _keyword_cache.get(words) if words in _keyword_cache else _keyword_re(words)
    used[words] = pattern
    return pattern


def _product(code: str, data: dict[str, Any]) -> Product:
    mode = data.get("mode", "per_message")
    if mode not in CHARGING_MODES:
        raise ConfigError(f"product {code}: unknown charging mode {mode!r}")
    return Product(
        code=code,
        mode=mode,
        monthly_fee_fen=int(data.get("monthly_fee_fen", 0)),
        allowance=int(data.get("allowance", 0)),
        overage_fen=int(data.get("overage_fen", 0)),
        price_fen=int(data.get("price_fen", 0)),
        class_prices_fen={str(k): int(v) for k, v in data.get("class_prices_fen", {}).items()},
    )


def _account(
    ent: dict[str, Any], data: dict[str, Any], products: dict[str, Product], patterns: KeywordCache
) -> Account:
    system_id = str(data["system_id"])
    if not 0 < len(system_id) <= 15:
        raise ConfigError(f"system_id {system_id!r} must be 1-15 characters")
    mode = data.get("signature_mode", "none")
    if mode not in SIGNATURE_MODES:
        raise ConfigError(f"{system_id}: unknown signature_mode {mode!r}")
    signature = str(data.get("signature", ""))
    if mode != "none" and not signature:
        raise ConfigError(f"{system_id}: signature_mode {mode} needs a signature")
    product = str(data.get("product", ""))
    if product and product not in products:
        raise ConfigError(f"{system_id}: unknown product {product!r}")
    if "password" not in data and "password_sha256" not in data:
        raise ConfigError(f"{system_id}: password or password_sha256 required")
    keywords = tuple(str(k) for k in data.get("keywords", []))
    ordering = str(data.get("ordering", "destination"))
    if ordering not in ORDERING_MODES:
        raise ConfigError(f"{system_id}: unknown ordering {ordering!r}")
    try:
        allowed_ips = tuple(_network(str(ip)) for ip in data.get("allowed_ips", []))
    except ValueError as exc:
        raise ConfigError(f"{system_id}: {exc}") from None
    max_priority = data.get("max_priority", 3)
    if not isinstance(max_priority, int) or isinstance(max_priority, bool) or not 0 <= max_priority <= 3:
        raise ConfigError(f"{system_id}: max_priority must be 0-3, not {max_priority!r}")
    return Account(
        system_id=system_id,
        enterprise_code=str(ent.get("code", "")),
        enterprise_name=str(ent.get("name", "")),
        password=str(data.get("password", "")),
        password_sha256=str(data.get("password_sha256", "")),
        allowed_ips=allowed_ips,
        max_binds=int(data.get("max_binds", 4)),
        signature=signature,
        signature_mode=mode,
        blacklist=frozenset(normalize_number(n) for n in data.get("blacklist", [])),
        whitelist=frozenset(normalize_number(n) for n in data.get("whitelist", [])),
        whitelist_mode=bool(data.get("whitelist_mode", False)),
        keywords=keywords,
        keyword_re=_cached_keyword_re(keywords, patterns),
        rate=int(data.get("rate", 0)),
        daily_quota=int(data.get("daily_quota", 0)),
        product=product,
        content_class=str(data.get("content_class", "notification")),
        mo_addresses=tuple(str(a) for a in data.get("mo_addresses", [])),
        enabled=bool(data.get("enabled", True)),
        ordering=ordering,
        max_priority=max_priority,
    )


def _connector(data: dict[str, Any]) -> ConnectorConfig:
    return ConnectorConfig(
        name=str(data["name"]),
        host=str(data.get("host", "127.0.0.1")),
        port=int(data["port"]),
        system_id=str(data.get("system_id", "jike")),
        password=str(data.get("password", "")),
        system_type=str(data.get("system_type", "")),
        binds=max(1, int(data.get("binds", 1))),
        window=max(1, int(data.get("window", 64))),
        enquire_link_s=float(data.get("enquire_link_s", 30.0)),
        reconnect_min_s=float(data.get("reconnect_min_s", 0.2)),
        reconnect_max_s=float(data.get("reconnect_max_s", 10.0)),
        throttle_backoff_s=float(data.get("throttle_backoff_s", 0.05)),
        failover_after_s=float(data.get("failover_after_s", 1.0)),
    )


def parse_snapshot(data: dict[str, Any]) -> Snapshot:
    products = {code: _product(code, p) for code, p in data.get("products", {}).items()}
    accounts: dict[str, Account] = {}
    mo_routes: dict[str, str] = {}
    patterns: KeywordCache = {}
    for ent in data.get("enterprises", []):
        for acc_data in ent.get("accounts", []):
            acc = _account(ent, acc_data, products, patterns)
            if acc.system_id in accounts:
                raise ConfigError(f"duplicate system_id {acc.system_id}")
            accounts[acc.system_id] = acc
            for addr in acc.mo_addresses:
                mo_routes[addr] = acc.system_id
    connectors = {c.name: c for c in (_connector(c) for c in data.get("connectors", []))}
    routes: dict[str, tuple[str, ...]] = {}
    for r in data.get("routes", []):
        names = tuple(str(n) for n in r["connectors"])
        for name in names:
            if name not in connectors:
                raise ConfigError(f"route {r.get('prefix')!r}: unknown connector {name!r}")
        for prefix in r.get("prefixes", [r.get("prefix", "")]):
            routes[str(prefix)] = names
    lengths = tuple(sorted({len(p) for p in routes}, reverse=True))
    global _keyword_cache
    _keyword_cache = patterns
    return Snapshot(
        version=str(data.get("version", "")),
        accounts=accounts,
        products=products,
        blacklist=frozenset(normalize_number(n) for n in data.get("blacklist", [])),
        keyword_re=_keyword_re(tuple(str(k) for k in data.get("keywords", []))),
        routes=routes,
        route_lengths=lengths,
        connectors=connectors,
        mo_routes=mo_routes,
        raw={k: v for k, v in data.items() if k != "enterprises"},
    )


_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")
_SPLIT_DEPTH = 4  # top object -> enterprises list -> enterprise object -> accounts list -> account (whole)


def _decode(s: str, i: int, depth: int) -> tuple[Any, int]:
    """Like json's raw_decode at s[i:], but containers down to `depth` levels are decoded one member
    at a time, so no single C call (which holds the GIL) decodes more than one account."""
    i = _WS.match(s, i).end()  # type: ignore[union-attr]
    c = s[i : i + 1]
    if depth == 0 or c not in ("{", "["):
        return _DECODER.raw_decode(s, i)
    close = "}" if c == "{" else "]"
    out_d: dict[str, Any] = {}
    out_l: list[Any] = []
    i = _WS.match(s, i + 1).end()  # type: ignore[union-attr]
    if s[i : i + 1] == close:
        return (out_d if c == "{" else out_l), i + 1
    while True:
        if c == "{":
            if s[i : i + 1] != '"':
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", s, i)
            key, i = _DECODER.raw_decode(s, i)
            i = _WS.match(s, i).end()  # type: ignore[union-attr]
            if s[i : i + 1] != ":":
                raise json.JSONDecodeError("Expecting ':' delimiter", s, i)
            out_d[key], i = _decode(s, i + 1, depth - 1)
        else:
            value, i = _decode(s, i, depth - 1)
            out_l.append(value)
        i = _WS.match(s, i).end()  # type: ignore[union-attr]
        sep = s[i : i + 1]
        if sep == close:
            return (out_d if c == "{" else out_l), i + 1
        if sep != ",":
            raise json.JSONDecodeError(f"Expecting ',' or '{close}' delimiter", s, i)
        i = _WS.match(s, i + 1).end()  # type: ignore[union-attr]


def loads_stepwise(s: str) -> Any:
    """json.loads for a snapshot, in small steps (see _decode): a reload parses in a worker thread,
    and the event loop gets the GIL back between two steps instead of waiting for the whole file."""
    value, end = _decode(s, 0, _SPLIT_DEPTH)
    end = _WS.match(s, end).end()  # type: ignore[union-attr]
    if end != len(s):
        raise json.JSONDecodeError("Extra data", s, end)
    return value


def _read_text(path: Path) -> tuple[str, bytes]:
    data = path.read_bytes()  # the read itself releases the GIL; decode 1 MiB at a time
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    parts = [decoder.decode(view[i : i + (1 << 20)]) for i in range(0, len(data), 1 << 20)]
    parts.append(decoder.decode(b"", final=True))
    return "".join(parts), data


def load_snapshot(path: str | Path) -> Snapshot:
    try:
        text, raw = _read_text(Path(path))
        data = loads_stepwise(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read snapshot {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError("snapshot must be a JSON object")
    snap = parse_snapshot(data)
    if not snap.version:
        snap.version = hashlib.sha256(raw).hexdigest()[:12]
    return snap


@dataclass(slots=True)
class Settings:
    """Process settings (the `gateway` block of the file); not hot-reloaded."""

    host: str = "0.0.0.0"
    port: int = 2775
    admin_host: str = "127.0.0.1"
    admin_port: int = 9775
    data_dir: str = "var/gateway"
    cdr_dsn: str = ""
    parquet_dir: str = ""
    max_pending: int = 200_000
    esme_window: int = 64
    receipt_timeout_s: float = 72 * 3600.0
    cdr_flush_s: float = 1.0
    segment_bytes: int = 64 * 1024 * 1024
    reload_poll_s: float = 2.0
    concat_timeout_s: float = 30.0  # parts of a concatenated message wait this long for the others
    concat_max_parts: int = 10_000  # held parts at most; beyond, the oldest groups are judged as they are
    log_level: str = "INFO"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        s = cls()
        for key, value in data.items():
            if not hasattr(s, key):
                raise ConfigError(f"unknown gateway setting {key!r}")
            setattr(s, key, type(getattr(s, key))(value))
        return s
