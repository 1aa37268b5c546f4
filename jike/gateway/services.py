"""The one write path for the gateway's platform side: enterprise SMS accounts, connectors, routes and
the province's global lists.

Accounts are customer data: creating or changing one needs change scope on its customer (a customer
manager on the team, the customer's city or county, the province), and every change is audited with
the customer as subject so it shows in the customer's history. Connectors, routes and global lists are
province configuration (`user.can_configure`). Values are validated and normalised here (numbers
without +86, networks as CIDR, keywords trimmed), so the snapshot never holds what the gateway refuses.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from jike.catalog.models import Product
from jike.core import audit
from jike.core.errors import BusinessRuleError
from jike.core.fields import apply_fields
from jike.core.models import User
from jike.customers.models import Customer
from jike.customers.services import ensure_writable
from jike.gateway.config import normalize_number

from .models import (
    AccountStatus,
    Connector,
    GlobalListEntry,
    ListKind,
    Route,
    SignatureMode,
    SmsAccount,
)

ACCOUNT_FIELDS = [
    "product", "name", "allowed_ips", "max_binds", "signature", "signature_mode", "whitelist_mode", "blacklist",
    "whitelist", "keywords", "rate", "daily_quota", "max_priority", "ordering", "content_class", "mo_addresses",
    "notes",
]  # fmt: skip
AUDITED_ACCOUNT_FIELDS = ["system_id", *ACCOUNT_FIELDS, "status"]
CONNECTOR_FIELDS = ["name", "host", "port", "system_id", "password", "system_type", "binds", "window",
                    "failover_after_s", "notes"]  # fmt: skip
ROUTE_FIELDS = ["prefix", "connectors", "notes"]

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
SERVICE_NUMBER_RE = re.compile(r"^\d{3,21}$")
PASSWORD_RE = re.compile(r"^[\x21-\x7e]{6,8}$")  # SMPP 3.4: at most 8 octets
SYSTEM_ID_HELP = _("1-15位字母、数字、下划线、点或连字符，全省唯一")
MAX_LIST = 10_000
MAX_KEYWORDS = 1_000


# --- validation and normalisation ------------------------------------------------------------------------


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.replace("，", ",").replace(",", "\n").splitlines()
    return [str(v).strip() for v in value if str(v).strip()]


def clean_numbers(value: Any, field: str) -> list[str]:
    """Mobile numbers, +86/86 dropped (as the gateway normalises them), deduplicated, sorted."""
    out: set[str] = set()
    bad: list[str] = []
    for raw in _lines(value):
        n = normalize_number(raw.replace(" ", "").replace("-", ""))
        (out.add(n) if MOBILE_RE.match(n) else bad.append(raw))
    if bad:
        raise ValidationError({field: f"号码格式错误 / invalid mobile number: {'、'.join(bad[:5])}"})
    if len(out) > MAX_LIST:
        raise ValidationError({field: f"号码不能超过{MAX_LIST}个 / at most {MAX_LIST} numbers"})
    return sorted(out)


def clean_networks(value: Any) -> list[str]:
    out: list[str] = []
    bad: list[str] = []
    for raw in _lines(value):
        try:
            net = str(ipaddress.ip_network(raw, strict=False))
        except ValueError:
            bad.append(raw)
            continue
        if net not in out:
            out.append(net)
    if bad:
        raise ValidationError({"allowed_ips": f"IP地址格式错误 / invalid IP address or network: {'、'.join(bad[:5])}"})
    return out


def clean_keywords(value: Any, field: str = "keywords") -> list[str]:
    words = list(dict.fromkeys(_lines(value)))
    too_long = [w for w in words if len(w) > 64]
    if too_long:
        raise ValidationError({field: f"敏感词不能超过64个字符 / keyword too long: {too_long[0][:20]}"})
    if len(words) > MAX_KEYWORDS:
        raise ValidationError({field: f"敏感词不能超过{MAX_KEYWORDS}个 / at most {MAX_KEYWORDS} keywords"})
    return words


def clean_service_numbers(value: Any) -> list[str]:
    numbers = list(dict.fromkeys(_lines(value)))
    bad = [n for n in numbers if not SERVICE_NUMBER_RE.match(n)]
    if bad:
        raise ValidationError(
            {"mo_addresses": f"服务号码必须是3-21位数字 / invalid service number: {'、'.join(bad[:5])}"}
        )
    return numbers


def password_hash(password: str) -> str:
    if not PASSWORD_RE.match(password or ""):
        raise ValidationError(
            {"password": "密码须为6-8位可见ASCII字符（SMPP限制） / password: 6-8 printable ASCII characters"}
        )
    return hashlib.sha256(password.encode()).hexdigest()


def _normalise_account(data: dict[str, Any]) -> None:
    if "allowed_ips" in data:
        data["allowed_ips"] = clean_networks(data["allowed_ips"])
    for field in ("blacklist", "whitelist"):
        if field in data:
            data[field] = clean_numbers(data[field], field)
    if "keywords" in data:
        data["keywords"] = clean_keywords(data["keywords"])
    if "mo_addresses" in data:
        data["mo_addresses"] = clean_service_numbers(data["mo_addresses"])
    if "signature" in data:
        data["signature"] = (data["signature"] or "").strip()


def _check_account(account: SmsAccount) -> None:
    if account.signature_mode != SignatureMode.NONE and not account.signature:
        raise ValidationError({"signature": "该签名方式需要填写企业签名 / this signature mode needs a signature"})
    if account.signature and not (account.signature.startswith("【") and account.signature.endswith("】")):
        raise ValidationError({"signature": "企业签名须写成【签名】的形式 / write the signature as 【name】"})
    if account.whitelist_mode and not account.whitelist:
        raise ValidationError({"whitelist": "白名单模式需要至少一个白名单号码 / white-list mode needs numbers"})
    if account.product is not None:
        from .snapshot import gateway_product

        if gateway_product(account.product) is None:
            raise ValidationError({"product": "该产品没有可用于短信计费的价格 / the product has no SMS price"})
    account.full_clean(exclude=["customer", "password_sha256"])


def _check_system_id_free(system_id: str, exclude_pk: int | None = None) -> None:
    qs = SmsAccount.objects.filter(system_id=system_id)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({"system_id": "该账号已被使用 / this system_id is already used"})


# --- accounts -------------------------------------------------------------------------------------------


def _lock_account(actor: User, account: SmsAccount) -> SmsAccount:
    locked = SmsAccount.objects.restrict(actor, "change").select_for_update(of=("self",)).filter(pk=account.pk).first()
    if locked is None:
        raise BusinessRuleError("forbidden", "无权修改该短信账号 / not allowed to change this account", status=403)
    ensure_writable(actor, locked.customer)
    return locked


@transaction.atomic
def create_account(actor: User, customer: Customer, *, system_id: str, password: str, **data: Any) -> SmsAccount:
    ensure_writable(actor, customer)
    account = SmsAccount(customer=customer, system_id=(system_id or "").strip())
    _check_system_id_free(account.system_id)
    _normalise_account(data)
    apply_fields(account, data, ACCOUNT_FIELDS)
    account.password_sha256 = password_hash(password)
    _check_account(account)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as exc:  # a concurrent create took the system_id
        raise ValidationError({"system_id": "该账号已被使用 / this system_id is already used"}) from exc
    changes = audit.diff({}, audit.snapshot(account, AUDITED_ACCOUNT_FIELDS))
    changes["password"] = [None, "已设置 / set"]
    audit.record(actor, "sms_account.create", account, changes, subject=customer)
    return account


@transaction.atomic
def update_account(actor: User, account: SmsAccount, **data: Any) -> SmsAccount:
    """Change settings and lists (system_id and status have their own paths: they change the binding)."""
    account = _lock_account(actor, account)
    _normalise_account(data)
    before = audit.snapshot(account, AUDITED_ACCOUNT_FIELDS)
    apply_fields(account, data, ACCOUNT_FIELDS)
    _check_account(account)
    account.save()
    changes = audit.diff(before, audit.snapshot(account, AUDITED_ACCOUNT_FIELDS))
    if changes:
        audit.record(actor, "sms_account.update", account, changes, subject=account.customer)
    return account


@transaction.atomic
def set_password(actor: User, account: SmsAccount, password: str) -> SmsAccount:
    account = _lock_account(actor, account)
    account.password_sha256 = password_hash(password)
    account.save(update_fields=["password_sha256", "updated_at"])
    audit.record(
        actor, "sms_account.password", account, {"password": ["***", "已重置 / reset"]}, subject=account.customer
    )
    return account


@transaction.atomic
def set_status(actor: User, account: SmsAccount, status: str, reason: str = "") -> SmsAccount:
    """Suspend (binds are refused from the next snapshot on) or re-activate an account."""
    account = _lock_account(actor, account)
    if status not in AccountStatus.values:
        raise ValidationError({"status": f"未知状态 / unknown status: {status}"})
    if account.status == status:
        return account
    before = account.status
    account.status = status
    account.save(update_fields=["status", "updated_at"])
    action = "sms_account.suspend" if status == AccountStatus.SUSPENDED else "sms_account.activate"
    changes: dict[str, Any] = {"status": [before, status]}
    if reason:
        changes["reason"] = [None, reason]
    audit.record(actor, action, account, changes, subject=account.customer)
    return account


def suspend_account(actor: User, account: SmsAccount, reason: str = "") -> SmsAccount:
    return set_status(actor, account, AccountStatus.SUSPENDED, reason)


def activate_account(actor: User, account: SmsAccount) -> SmsAccount:
    return set_status(actor, account, AccountStatus.ACTIVE)


@transaction.atomic
def edit_account_list(
    actor: User, account: SmsAccount, field: str, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> SmsAccount:
    """Add and remove entries of one account list (blacklist, whitelist, keywords) without resending it."""
    if field not in ("blacklist", "whitelist", "keywords"):
        raise ValidationError({"field": f"未知名单 / unknown list: {field}"})
    locked = _lock_account(actor, account)
    clean = clean_keywords if field == "keywords" else (lambda v, f=field: clean_numbers(v, f))
    current: list[str] = list(getattr(locked, field))
    gone = set(clean(list(remove)))
    merged = [v for v in current if v not in gone] + [v for v in clean(list(add)) if v not in current]
    return update_account(actor, locked, **{field: merged})


# --- province configuration -----------------------------------------------------------------------------


def ensure_configurer(actor: User | None) -> None:
    if actor is not None and not actor.can_configure:
        raise BusinessRuleError(
            "forbidden", "只有省公司可维护网关路由和全局名单 / only the province edits routes and lists", status=403
        )


def _clean_connector_names(value: Any) -> list[str]:
    names = list(dict.fromkeys(_lines(value)))
    if not names:
        raise ValidationError({"connectors": "至少需要一个连接 / at least one connector"})
    known = set(Connector.objects.filter(name__in=names).values_list("name", flat=True))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValidationError({"connectors": f"未知连接 / unknown connector: {'、'.join(unknown)}"})
    return names


def _routes_using(name: str, lock: bool = False) -> list[Route]:
    # In Python: a route table is a few hundred rows, and SQLite has no JSON `contains` lookup.
    qs = Route.objects.select_for_update() if lock else Route.objects.all()
    return [r for r in qs.order_by("prefix") if name in r.connectors]


@transaction.atomic
def create_connector(actor: User | None, **data: Any) -> Connector:
    ensure_configurer(actor)
    connector = Connector()
    apply_fields(connector, data, CONNECTOR_FIELDS)
    connector.full_clean()
    connector.save()
    after = audit.snapshot(connector, [f for f in CONNECTOR_FIELDS if f != "password"])
    audit.record(actor, "gateway_connector.create", connector, audit.diff({}, after))
    return connector


@transaction.atomic
def update_connector(actor: User | None, connector: Connector, **data: Any) -> Connector:
    ensure_configurer(actor)
    connector = Connector.objects.select_for_update().get(pk=connector.pk)
    fields = [f for f in CONNECTOR_FIELDS if f != "password"]
    before = audit.snapshot(connector, fields)
    old_name = connector.name
    apply_fields(connector, data, CONNECTOR_FIELDS)
    connector.full_clean()
    connector.save()
    if connector.name != old_name:  # keep the routes pointing at it
        for route in _routes_using(old_name, lock=True):
            route.connectors = [connector.name if n == old_name else n for n in route.connectors]
            route.save(update_fields=["connectors", "updated_at"])
    changes = audit.diff(before, audit.snapshot(connector, fields))
    if "password" in data:
        changes["password"] = ["***", "已修改 / changed"]
    if changes:
        audit.record(actor, "gateway_connector.update", connector, changes)
    return connector


@transaction.atomic
def delete_connector(actor: User | None, connector: Connector) -> None:
    ensure_configurer(actor)
    used = [r.prefix or "*" for r in _routes_using(connector.name)]
    if used:
        raise BusinessRuleError(
            "connector_in_use", f"连接仍被路由使用 / still used by routes: {'、'.join(used[:10])}", {"routes": used}
        )
    audit.record(actor, "gateway_connector.delete", connector, {"name": [connector.name, None]})
    connector.delete()


def _clean_route_data(data: dict[str, Any], route: Route) -> None:
    """Normalise connector names and the prefix in `data` (in place); one route per prefix."""
    if "connectors" in data:
        data["connectors"] = _clean_connector_names(data["connectors"])
    if "prefix" in data:
        data["prefix"] = (data["prefix"] or "").strip()
        if Route.objects.filter(prefix=data["prefix"]).exclude(pk=route.pk).exists():
            raise ValidationError({"prefix": "该号段已有路由 / this prefix already has a route"})


@transaction.atomic
def create_route(actor: User | None, **data: Any) -> Route:
    ensure_configurer(actor)
    route = Route()
    data.setdefault("prefix", "")
    _clean_route_data(data, route)
    apply_fields(route, data, ROUTE_FIELDS)
    route.full_clean()
    route.save()
    audit.record(actor, "gateway_route.create", route, audit.diff({}, audit.snapshot(route, ROUTE_FIELDS)))
    return route


@transaction.atomic
def update_route(actor: User | None, route: Route, **data: Any) -> Route:
    ensure_configurer(actor)
    route = Route.objects.select_for_update().get(pk=route.pk)
    _clean_route_data(data, route)
    before = audit.snapshot(route, ROUTE_FIELDS)
    apply_fields(route, data, ROUTE_FIELDS)
    route.full_clean()
    route.save()
    changes = audit.diff(before, audit.snapshot(route, ROUTE_FIELDS))
    if changes:
        audit.record(actor, "gateway_route.update", route, changes)
    return route


@transaction.atomic
def delete_route(actor: User | None, route: Route) -> None:
    ensure_configurer(actor)
    audit.record(actor, "gateway_route.delete", route, audit.diff(audit.snapshot(route, ROUTE_FIELDS), {}))
    route.delete()


def _clean_list_value(kind: str, value: str) -> str:
    if kind == ListKind.BLACKLIST:
        numbers = clean_numbers([value], "value")
    elif kind == ListKind.KEYWORD:
        numbers = clean_keywords([value], "value")
    else:
        raise ValidationError({"kind": f"未知类别 / unknown kind: {kind}"})
    if not numbers:
        raise ValidationError({"value": "请填写号码或词语 / value required"})
    return numbers[0]


@transaction.atomic
def add_global_entries(actor: User | None, kind: str, values: Iterable[str], notes: str = "") -> list[GlobalListEntry]:
    """Add numbers to the global black list or words to the global keyword list; returns the entries
    for the values given (those already on the list are kept as they are)."""
    ensure_configurer(actor)
    cleaned = list(dict.fromkeys(_clean_list_value(kind, v) for v in values if str(v).strip()))
    if not cleaned:
        raise ValidationError({"value": "请至少填写一项 / nothing to add"})
    existing = set(GlobalListEntry.objects.filter(kind=kind, value__in=cleaned).values_list("value", flat=True))
    created = GlobalListEntry.objects.bulk_create(
        [GlobalListEntry(kind=kind, value=v, notes=notes) for v in cleaned if v not in existing]
    )
    for entry in created:
        audit.record(actor, "gateway_list.add", entry, {"kind": [None, kind], "value": [None, entry.value]})
    return list(GlobalListEntry.objects.filter(kind=kind, value__in=cleaned).order_by("value"))


@transaction.atomic
def remove_global_entry(actor: User | None, entry: GlobalListEntry) -> None:
    ensure_configurer(actor)
    audit.record(actor, "gateway_list.remove", entry, {"kind": [entry.kind, None], "value": [entry.value, None]})
    entry.delete()


# Products delivered as SMS through the gateway (DOMAIN.md section 4): what the account form offers.
SMS_PRODUCT_CODES = ("GSMS", "QXT", "MAS", "YXT", "XXT", "SXT", "YIXT", "NXT")


def sms_products() -> list[Product]:
    """Launched SMS products with a price the gateway can rate (the account form's choices)."""
    from .snapshot import gateway_product

    qs = Product.objects.filter(code__in=SMS_PRODUCT_CODES, lifecycle="launched").prefetch_related("price_bands")
    return [p for p in qs.order_by("code") if gateway_product(p) is not None]
