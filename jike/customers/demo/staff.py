"""The organisation (province > 16 cities > 104 counties > grids) and its staff, per DOMAIN.md section 11.

Staff numbers follow the Anhui figures: 6 province industry managers, fewer than 100 city industry
managers and sales engineers, fewer than 900 customer managers (junior/mid/senior), plus city
managers, county leads, phone managers and chief customer representatives (company leaders).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from pypinyin import lazy_pinyin

from jike.core.models import OrgLevel, OrgUnit, User
from jike.core.roles import Role
from jike.customers.demo import geo
from jike.customers.demo.codes import msisdn

DEMO_PASSWORD = "jike-demo"
CUSTOMER_MANAGERS = 850  # DOMAIN.md: fewer than 900 in Anhui
CITY_INDUSTRY_MANAGERS = 50  # with sales engineers: fewer than 100 in all cities
CITY_SALES_ENGINEERS = 40
CHIEF_REPS = 40
CM_LEVELS = ((Role.CM_JUNIOR, 0.5), (Role.CM_MID, 0.3), (Role.CM_SENIOR, 0.2))
STAFF_MSISDN_BASE = 2_000_000_000  # far above any member number


@dataclass
class Org:
    province: OrgUnit
    cities: list[tuple[geo.City, OrgUnit]] = field(default_factory=list)
    counties: dict[str, list[OrgUnit]] = field(default_factory=dict)  # city code -> counties
    grids: dict[str, list[OrgUnit]] = field(default_factory=dict)  # county code -> grids


@dataclass
class Staff:
    """Who can fill which slot: user ids by (role, org unit id), plus the demo logins."""

    by_unit: dict[tuple[str, int], list[int]] = field(default_factory=lambda: defaultdict(list))
    demo_cm: dict[str, int] = field(default_factory=dict)  # city code -> user id of cm-<city>-1
    admin_id: int = 0
    count: int = 0

    def pick(self, rng: random.Random, roles: tuple[str, ...], units: tuple[int, ...]) -> int | None:
        """First unit (most local first) that has staff of the first role that has any."""
        for role in roles:
            for unit_id in units:
                pool = self.by_unit.get((role, unit_id))
                if pool:
                    return pool[rng.randrange(len(pool))]
        return None


def english(name: str, kind: str) -> str:
    if name in geo.PINYIN_FIXES:
        return f"{geo.PINYIN_FIXES[name]} {kind}"
    return "".join(lazy_pinyin(name[:-1] if len(name) > 2 else name)).title() + f" {kind}"


def _unit(
    existing: dict[str, OrgUnit], code: str, name: str, name_en: str, level: str, parent: OrgUnit | None
) -> OrgUnit:
    unit = existing.get(code)
    if unit is None:
        unit = OrgUnit(code=code)
    if unit.pk is None or (unit.name, unit.name_en, unit.level, unit.parent_id) != (
        name,
        name_en,
        level,
        parent.pk if parent else None,
    ):
        unit.name, unit.name_en, unit.level, unit.parent = name, name_en, level, parent
        unit.save()  # save() derives the materialised path
    return unit


def build_org() -> Org:
    """Create or update the org tree; codes are the real division codes (3401 合肥, 340104 蜀山区)."""
    existing = {u.code: u for u in OrgUnit.objects.all()}
    province = _unit(existing, geo.PROVINCE_CODE, "安徽省公司", "Anhui Province", OrgLevel.PROVINCE, None)
    org = Org(province)
    for city in geo.CITIES:
        c_unit = _unit(
            existing, city.code, f"{city.name}市公司", f"{city.pinyin.title()} City", OrgLevel.CITY, province
        )
        org.cities.append((city, c_unit))
        org.counties[city.code] = []
        for code, name in city.counties:
            county = _unit(existing, code, f"{name}公司", english(name, "County"), OrgLevel.COUNTY, c_unit)
            org.counties[city.code].append(county)
            names = geo.URBAN_GRIDS[: 6 if city.weight > 10 else 4] if geo.is_urban(code) else geo.COUNTY_GRIDS
            org.grids[code] = [
                _unit(
                    existing, f"{code}-{i:02d}", f"{name}{g}网格", f"{english(name, 'grid')} {i}", OrgLevel.GRID, county
                )
                for i, g in enumerate(names, start=1)
            ]
    return org


def _spread(total: int, weights: list[float], minimum: int) -> list[int]:
    """Split total by weights (largest remainder), each at least `minimum`."""
    wsum = sum(weights)
    raw = [max(minimum, total * w / wsum) for w in weights]
    out = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[: max(0, total - sum(out))]:
        out[i] += 1
    return out


def build_staff(org: Org, rng: random.Random, names: list[str]) -> Staff:
    """Create or update every demo user (one password hash shared by all: hashing is slow)."""
    # A fixed salt keeps the hash stable between runs, so a reload leaves unchanged users alone.
    password = make_password(DEMO_PASSWORD, salt="JikeDemoFixedSalt2025x")  # 22 chars: no rehash on login
    specs: list[tuple[str, str, OrgUnit, bool]] = [  # username, role, unit, superuser
        ("admin", Role.ADMIN, org.province, True),
        ("province", Role.PROVINCE_MANAGER, org.province, False),
        *((f"analyst-{i}", Role.ANALYST, org.province, False) for i in range(1, 4)),
        *((f"im-province-{i}", Role.INDUSTRY_MANAGER, org.province, False) for i in range(1, 7)),
    ]
    weights = [c.weight for c, _ in org.cities]
    ims = _spread(CITY_INDUSTRY_MANAGERS, weights, 2)
    ses = _spread(CITY_SALES_ENGINEERS, weights, 1)
    chiefs = _spread(CHIEF_REPS, weights, 2)
    grid_counts = [sum(len(org.grids[c.code]) for c in org.counties[city.code]) for city, _ in org.cities]
    cms = _spread(CUSTOMER_MANAGERS, [w * g for w, g in zip(weights, grid_counts, strict=True)], 1)
    cms = [max(n, g) for n, g in zip(cms, grid_counts, strict=True)]
    for i, (city, c_unit) in enumerate(org.cities):
        py = city.pinyin
        specs.append((f"city-{py}", Role.CITY_MANAGER, c_unit, False))
        specs += [(f"im-{py}-{k}", Role.INDUSTRY_MANAGER, c_unit, False) for k in range(1, ims[i] + 1)]
        specs += [(f"se-{py}-{k}", Role.SALES_ENGINEER, c_unit, False) for k in range(1, ses[i] + 1)]
        specs += [(f"chief-{py}-{k}", Role.CHIEF_REP, c_unit, False) for k in range(1, chiefs[i] + 1)]
        for k, county in enumerate(org.counties[city.code], start=1):
            specs.append((f"lead-{py}-{k}", Role.COUNTY_LEAD, county, False))
            specs.append((f"pm-{py}-{k}", Role.PHONE_MANAGER, county, False))
        grids = [g for county in org.counties[city.code] for g in org.grids[county.code]]
        # Every grid gets one manager, the rest go to urban grids first (more customers there).
        homes = list(grids) + rng.choices(
            grids, weights=[3 if "城" in g.name else 1 for g in grids], k=cms[i] - len(grids)
        )
        levels = [role for role, share in CM_LEVELS for _ in range(round(share * len(homes)))]
        levels = (levels + [Role.CM_JUNIOR] * len(homes))[: len(homes)]
        rng.shuffle(levels)
        levels[0] = Role.CM_MID  # cm-<city>-1: a mid-level manager in the city's central grid
        levels[1] = Role.CM_SENIOR
        specs += [(f"cm-{py}-{k}", levels[k - 1], homes[k - 1], False) for k in range(1, len(homes) + 1)]

    existing = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in specs])}
    new: list[User] = []
    changed: list[User] = []
    for n, (username, role, unit, superuser) in enumerate(specs):
        user = existing.get(username) or User(username=username)
        full_name = "系统管理员" if username == "admin" else names[n % len(names)]
        wanted = (role, unit.pk, superuser, superuser, full_name, msisdn(STAFF_MSISDN_BASE + n), password, True)
        if user.pk and wanted == (
            user.role, user.org_unit_id, user.is_superuser, user.is_staff, user.full_name, user.mobile, user.password,
            user.is_active,
        ):  # fmt: skip
            continue
        user.role, user.org_unit, user.is_superuser, user.is_staff = role, unit, superuser, superuser
        user.full_name, user.mobile, user.password, user.is_active = wanted[4], wanted[5], password, True
        (changed if user.pk else new).append(user)
    User.objects.bulk_create(new, batch_size=500)
    User.objects.bulk_update(
        changed, ["role", "org_unit", "is_superuser", "is_staff", "full_name", "mobile", "password", "is_active"]
    )
    staff = Staff(count=len(specs))
    units = {u.pk: u for u in OrgUnit.objects.exclude(level=OrgLevel.PROVINCE)}
    for user in User.objects.filter(username__in=[s[0] for s in specs]).order_by("username"):
        if user.username == "admin":
            staff.admin_id = user.pk
        # Listed under its own unit and every ancestor below the province, so a search that
        # widens from grid to county to city finds the staff of the whole subtree.
        node = units.get(user.org_unit_id or 0)
        while node is not None:
            staff.by_unit[(user.role, node.pk)].append(user.pk)
            node = units.get(node.parent_id or 0)
    by_name = dict(
        User.objects.filter(username__in=[f"cm-{c.pinyin}-1" for c in geo.CITIES]).values_list("username", "id")
    )
    staff.demo_cm = {c.code: by_name[f"cm-{c.pinyin}-1"] for c in geo.CITIES}
    return staff
