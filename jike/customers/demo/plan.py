"""Plan the group customers of a scale: who they are, where, how big, and their member mix.

Everything is drawn from one random.Random(seed) in a fixed order, so the same seed gives the same
province. Members are not held in memory: each customer keeps the exact counts (rows, left,
unified ...) and a seed from which `rows.members` regenerates the same member rows when writing.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jike.core.models import OrgUnit
from jike.customers.demo import geo, names
from jike.customers.demo.codes import credit_code
from jike.customers.demo.staff import Org


@dataclass(frozen=True)
class Scale:
    customers: int
    members: int  # member rows, including members who left
    county_branches: bool  # national groups also have county sub-branches


SCALES = {
    "tiny": Scale(320, 6_000, False),
    "small": Scale(2_000, 60_000, False),
    "medium": Scale(20_000, 600_000, True),
    "large": Scale(100_000, 5_000_000, True),
}

# Share of customers per industry (Anhui mix: many SMEs in manufacturing and trade).
INDUSTRY_WEIGHTS = {
    "government": 10, "education": 9, "health": 6, "finance": 5, "transport": 8, "manufacturing": 18,
    "energy": 3, "construction": 9, "retail": 12, "hospitality": 6, "it": 5, "agriculture": 3,
    "mining": 1, "media": 2, "business_services": 3, "other": 0.5,
}  # fmt: skip
# Spend scale per industry (government, finance and energy buy dedicated lines and switchboards).
SPEND_FACTOR = {"government": 1.6, "finance": 2.0, "energy": 1.8, "health": 1.3, "education": 1.2, "it": 1.1}
# Typical unified-payment propensity (集团统付): public bodies pay for their staff, SMEs rarely.
UNIFIED_PROPENSITY = {"government": 0.75, "finance": 0.6, "education": 0.55, "health": 0.55, "energy": 0.6}
LIFECYCLE = (("prospect", 6), ("signed", 6), ("active", 76), ("at_risk", 7), ("lost", 5))


class Cust:
    """One planned customer row plus what its dependants need (member plan, key person count)."""

    __slots__ = (
        "addr_district", "address", "agreement_end", "agreement_start", "city", "city_name", "city_unit_id", "county",
        "created_at", "credit_code", "decision_process", "employees", "grade", "grid", "id", "industry",
        "industry_influence", "kind", "legal_representative", "m_base", "m_left", "m_rows", "m_seed", "m_split",
        "m_susp", "m_unified", "main_business", "member_count", "monthly_spend", "name", "ownership", "parent_id",
        "payment_ability", "registered_capital", "score", "short_name", "status", "strategic", "tier",
        "unified_member_count",
    )  # fmt: skip
    id: int
    credit_code: str
    name: str
    short_name: str
    kind: str
    industry: str
    ownership: str
    address: str
    addr_district: str
    city: geo.City
    city_name: str
    city_unit_id: int
    county: OrgUnit
    grid: OrgUnit
    legal_representative: str
    main_business: str
    employees: int
    registered_capital: Decimal | None
    monthly_spend: Any  # float while planning, Decimal once rounded
    payment_ability: str
    parent_id: int | None
    status: str
    agreement_start: dt.date | None
    agreement_end: dt.date | None
    decision_process: str
    strategic: bool
    industry_influence: int
    tier: str
    grade: str
    score: Decimal
    member_count: int
    unified_member_count: int
    created_at: dt.datetime
    m_rows: int  # member rows, including members who left
    m_base: int  # index of the first member's number (codes.msisdn)
    m_seed: int
    m_left: int
    m_susp: int
    m_unified: int
    m_split: int

    def __init__(self) -> None:
        self.parent_id: int | None = None
        self.strategic = False
        self.tier = self.grade = ""


class Planner:
    def __init__(
        self, org: Org, scale: Scale, rng: random.Random, person_names: list[str], streets: list[str], as_of: dt.date
    ) -> None:
        self.org, self.scale, self.rng = org, scale, rng
        self.person_names, self.streets, self.as_of = person_names, streets, as_of
        self.customers: list[Cust] = []
        self.used_names: set[str] = set()
        self.code_seq = 0
        self.city_units = {city.code: unit.pk for city, unit in org.cities}
        self.brands = [a + b for a in names.BRAND_CHARS for b in names.BRAND_CHARS if a != b]
        rng.shuffle(self.brands)

    # ------------------------------------------------------------------ helpers
    def _brand(self) -> str:
        return self.brands[self.rng.randrange(len(self.brands))]

    def _unique(self, make: object) -> str:
        """Draw names until an unused one comes up (numbered fallback keeps it finite)."""
        assert callable(make)
        for _ in range(30):
            name = make()
            if name not in self.used_names:
                self.used_names.add(name)
                return str(name)
        n = 2
        while f"{name}（{n}）" in self.used_names:
            n += 1
        self.used_names.add(f"{name}（{n}）")
        return f"{name}（{n}）"

    def _place(self, city: geo.City, county: OrgUnit | None = None) -> tuple[OrgUnit, OrgUnit]:
        counties = self.org.counties[city.code]
        if county is None:
            w = [(3.0 if city.weight > 10 else 2.0) if geo.is_urban(c.code) else 1.0 for c in counties]
            county = self.rng.choices(counties, weights=w)[0]
        grids = self.org.grids[county.code]
        return county, grids[self.rng.randrange(len(grids))]

    # ------------------------------------------------------------------ names
    def _name(self, industry: str, city: geo.City, county_name: str) -> tuple[str, str, str]:
        """(name, short name, kind of organisation for the credit code)."""
        r, b = self.rng, self._brand()
        area = (
            r.choice((f"{city.name}市", county_name))
            if not geo.is_urban(county_name_code(city, county_name))
            else f"{city.name}市"
        )
        if industry == "government":
            if r.random() < 0.6:
                dept = r.choice(names.GOVERNMENT_DEPTS)
                return f"{area}{dept}", dept, "organ"
            return f"{county_name}{b}{r.choice(names.TOWN_SUFFIXES)}", f"{b}镇", "organ"
        if industry == "education":
            unis = names.UNIVERSITIES.get(city.name, ())
            if unis and r.random() < 0.04:
                name = r.choice(unis)
                return name, name, "institution"
            kind = r.choice(names.SCHOOL_KINDS).format(n=names.chinese_number(r.randint(1, 40)), b=b)
            return f"{area}{kind}", kind, "institution"
        if industry == "health":
            kind = r.choice(names.HEALTH_KINDS).format(n=names.chinese_number(r.randint(1, 6)), b=b)
            return f"{area}{kind}", kind, "institution" if "{b}" not in kind or "卫生" in kind else "enterprise"
        if industry == "finance":
            roll = r.random()
            if roll < 0.5:
                bank = r.choice(names.BANKS)
                return f"{bank}{city.name}{b}路支行", f"{bank[:4]}{b}路支行", "enterprise"
            if roll < 0.7:
                ins = r.choice(names.INSURERS)
                return f"{ins}{county_name}营销服务部", f"{ins[:4]}{county_name}", "enterprise"
            return f"{city.name}{b}小额贷款有限公司", f"{b}小贷", "enterprise"
        if industry == "other":
            kind = r.choice(names.COMPANY_KINDS["other"])
            return f"{city.name}市{b}{kind}", f"{b}{kind}", "social"
        kind = r.choice(names.COMPANY_KINDS[industry])
        prefix = r.choice(("安徽", city.name, city.name, area if area != f"{city.name}市" else city.name))
        if kind in names.NON_COMPANY:
            return f"{prefix}{b}{kind}", f"{b}{kind}", "enterprise"
        if industry == "agriculture" and r.random() < 0.3:
            return f"{county_name}{b}种养殖专业合作社", f"{b}合作社", "coop"
        return f"{prefix}{b}{kind}{r.choice(names.COMPANY_SUFFIXES)}", f"{b}{kind}", "enterprise"

    # ------------------------------------------------------------------ customers
    def _new(
        self, name: str, short: str, kind: str, industry: str, city: geo.City, county: OrgUnit, grid: OrgUnit
    ) -> Cust:
        r = self.rng
        c = Cust()
        c.id = len(self.customers) + 1
        self.code_seq += 1
        c.credit_code = credit_code(kind, county.code, self.code_seq)
        c.name, c.short_name, c.kind, c.industry = name, short[:64], kind, industry
        c.city, c.county, c.grid, c.city_name = city, county, grid, city.name
        c.city_unit_id = self.city_units[city.code]
        county_name = county.name.removesuffix("公司")
        c.addr_district = county_name
        c.address = f"安徽省{city.name}市{county_name}{r.choice(self.streets)}{r.randint(1, 399)}号"
        c.ownership = {
            "organ": "government_body", "institution": "government_body", "social": "social_group", "coop": "collective",
        }.get(kind) or r.choices(("private", "state_owned", "joint_stock", "foreign", "hk_mo_tw", "collective"), (62, 14, 14, 4, 3, 3))[0]  # fmt: skip
        if industry in ("finance", "energy") and kind == "enterprise" and c.ownership == "private":
            c.ownership = "joint_stock"
        c.legal_representative = self.person_names[r.randrange(len(self.person_names))]
        c.main_business = names.MAIN_BUSINESS[industry]
        self.customers.append(c)
        return c

    def _hierarchies(self, quota: dict[str, int]) -> None:
        """National/provincial groups: province branch in Hefei, city branches, county sub-branches."""
        hefei = geo.CITIES[0]
        groups = names.GROUPS[: 4 if self.scale.customers < 1000 else len(names.GROUPS)]
        for top_name, city_pat, county_pat, industry, abbr in groups:
            county, grid = self._place(hefei, self.org.counties[hefei.code][2])
            top = self._new(
                top_name,
                top_name[:12],
                "organ" if industry == "government" else "enterprise",
                industry,
                hefei,
                county,
                grid,
            )
            self.used_names.add(top_name)
            top.monthly_spend = self.rng.uniform(60_000, 300_000)
            top.strategic = True
            quota[hefei.code] -= 1
            for city in geo.CITIES:
                if quota[city.code] <= 0:
                    continue
                county, grid = self._place(city, self.org.counties[city.code][0])
                name = city_pat.format(city=city.name)
                branch = self._new(name, f"{abbr}{city.name}", top.kind, industry, city, county, grid)
                self.used_names.add(name)
                branch.parent_id, branch.monthly_spend = top.id, self.rng.uniform(8_000, 60_000)
                quota[city.code] -= 1
                if not (county_pat and self.scale.county_branches):
                    continue
                for county in self.org.counties[city.code][1:]:
                    if quota[city.code] <= 0:
                        break
                    cname = county.name.removesuffix("公司")
                    name = county_pat.format(county=f"{city.name}{cname}" if geo.is_urban(county.code) else cname)
                    if name in self.used_names:
                        continue
                    self.used_names.add(name)
                    _, grid = self._place(city, county)
                    sub = self._new(name, f"{abbr}{cname}", top.kind, industry, city, county, grid)
                    sub.parent_id, sub.monthly_spend = branch.id, self.rng.uniform(1_500, 12_000)
                    quota[city.code] -= 1
        # Private groups: a holding company with subsidiaries in other cities.
        for _ in range(max(2, self.scale.customers // 500)):
            city = self.rng.choices(geo.CITIES, weights=[c.weight for c in geo.CITIES])[0]
            industry = self.rng.choice(("manufacturing", "construction", "retail", "transport", "it"))
            brand, kind = self._brand(), self.rng.choice(names.COMPANY_KINDS[industry])
            name = f"安徽{brand}{kind}集团有限公司"
            if name in self.used_names or quota[city.code] <= 0:
                continue
            self.used_names.add(name)
            county, grid = self._place(city)
            holding = self._new(name, f"{brand}集团", "enterprise", industry, city, county, grid)
            holding.monthly_spend = self.rng.uniform(5_000, 80_000)
            quota[city.code] -= 1
            for sub_city in self.rng.sample(geo.CITIES, self.rng.randint(2, 5)):
                sub_name = f"{brand}{kind}（{sub_city.name}）有限公司"
                if sub_name in self.used_names or quota[sub_city.code] <= 0:
                    continue
                self.used_names.add(sub_name)
                county, grid = self._place(sub_city)
                sub = self._new(sub_name, f"{brand}{sub_city.name}", "enterprise", industry, sub_city, county, grid)
                sub.parent_id, sub.monthly_spend = holding.id, self.rng.uniform(1_000, 20_000)
                quota[sub_city.code] -= 1

    def plan(self) -> list[Cust]:
        r, total = self.rng, self.scale.customers
        weights = [c.weight for c in geo.CITIES]
        wsum = sum(weights)
        quota = {c.code: max(12, round(total * c.weight / wsum)) for c in geo.CITIES}
        self._hierarchies(quota)
        n_hier = len(self.customers)
        industries, iweights = zip(*INDUSTRY_WEIGHTS.items(), strict=True)
        for city in geo.CITIES:
            for _ in range(max(0, quota[city.code])):
                county, grid = self._place(city)
                w = list(iweights)
                if city.pinyin in ("huainan", "huaibei"):
                    w[industries.index("mining")] = 6
                if not geo.is_urban(county.code):
                    w[industries.index("agriculture")] = 8
                industry = r.choices(industries, weights=w)[0]
                cname = county.name.removesuffix("公司")
                name, short, kind = "", "", ""

                def make(industry: str = industry, cname: str = cname, city: geo.City = city) -> str:
                    nonlocal short, kind
                    name, short, kind = self._name(industry, city, cname)
                    return name

                name = self._unique(make)
                c = self._new(name, short, kind, industry, city, county, grid)
                # Pareto spend (ABC by revenue): most groups are small, a few carry the revenue.
                c.monthly_spend = min(
                    2_000_000.0, 350 * SPEND_FACTOR.get(industry, 1.0) / (1 - r.random()) ** (1 / 1.15)
                )
        for i, c in enumerate(self.customers):
            self._lifecycle(c, hierarchy=i < n_hier)
        self._members()
        return self.customers

    def _lifecycle(self, c: Cust, hierarchy: bool) -> None:
        r, today = self.rng, self.as_of
        c.status = "active" if hierarchy else r.choices([s for s, _ in LIFECYCLE], [w for _, w in LIFECYCLE])[0]
        years = r.choice((1, 2, 3))
        c.agreement_start = c.agreement_end = None
        if c.status == "signed":
            c.agreement_start = today - dt.timedelta(days=r.randint(0, 60))
        elif c.status in ("active", "at_risk"):
            c.agreement_start = today - dt.timedelta(days=r.randint(30, 365 * years - 1))
        elif c.status == "lost":
            c.agreement_start = today - dt.timedelta(days=r.randint(365 * years + 30, 365 * years + 700))
        if c.agreement_start is not None:
            c.agreement_end = c.agreement_start + dt.timedelta(days=365 * years)
        if c.status == "at_risk":  # contract about to expire: one of the warning signals
            c.agreement_end = today + dt.timedelta(days=r.randint(5, 90))
            c.agreement_start = min(c.agreement_start or today, c.agreement_end - dt.timedelta(days=365))
        if c.status in ("prospect", "lost"):
            c.monthly_spend = 0.0
        c.monthly_spend = Decimal(f"{c.monthly_spend:.2f}")
        start = c.agreement_start or today - dt.timedelta(days=r.randint(1, 400))
        c.created_at = dt.datetime.combine(start, dt.time(9, r.randint(0, 59)), dt.UTC) - dt.timedelta(
            days=r.randint(0, 30)
        )
        spend = float(c.monthly_spend)
        c.payment_ability = "strong" if spend > 20_000 else "weak" if (spend < 800 and r.random() < 0.5) else "medium"
        c.industry_influence = max(1, min(5, int(math.log10(max(spend, 10)) - 1) + r.choice((0, 0, 1))))
        if spend >= 50_000 and c.industry in ("government", "finance", "energy", "health", "education"):
            c.strategic = c.strategic or r.random() < 0.5
        if c.strategic:
            c.industry_influence = max(c.industry_influence, 4)
        c.registered_capital = (
            None if c.ownership in ("government_body", "social_group") else Decimal(f"{r.lognormvariate(6.5, 1.4):.2f}")
        )
        c.decision_process = ""

    def _members(self) -> None:
        """Member rows per customer ~ spend / per-member ARPU, scaled to the scale's total rows."""
        r = self.rng
        raw = []
        for c in self.customers:
            if c.status == "prospect":
                raw.append(0.0)
            elif c.status == "lost":
                raw.append(r.uniform(3, 40))
            else:
                raw.append(float(c.monthly_spend) / r.uniform(55, 95) + r.uniform(2, 12))
        factor = self.scale.members / sum(raw)
        sizes = [0 if x == 0 else max(3, min(30_000, round(x * factor))) for x in raw]
        # Rounding and the 3-member floor drift from the target: settle the difference on active groups.
        eligible = [i for i, c in enumerate(self.customers) if sizes[i] > 3 and c.status != "lost"]
        drift = self.scale.members - sum(sizes)
        guard = 50 * abs(drift) + 1000
        while drift and eligible and guard:
            guard -= 1
            i = eligible[r.randrange(len(eligible))]
            step = 1 if drift > 0 else -1
            if sizes[i] + step >= 3:
                sizes[i] += step
                drift -= step
        base = 0
        for c, k in zip(self.customers, sizes, strict=True):
            c.m_rows, c.m_base, c.m_seed = k, base, r.getrandbits(48)
            base += k
            if c.status == "lost":
                c.m_left, c.m_susp, c.m_unified, c.m_split = k, 0, 0, 0
            else:
                c.m_left = round(k * r.uniform(0.0, 0.1))
                c.m_susp = round((k - c.m_left) * r.uniform(0.0, 0.04))
                p = min(0.98, max(0.0, r.gauss(UNIFIED_PROPENSITY.get(c.industry, 0.22), 0.2)))
                c.m_unified = round((k - c.m_left) * p)
                c.m_split = round((k - c.m_left - c.m_unified) * r.uniform(0.0, 0.25))
            c.member_count = k - c.m_left
            c.unified_member_count = c.m_unified
            c.employees = max(c.member_count, 1) * r.randint(11, 30) // 10 + r.randint(0, 20)


def county_name_code(city: geo.City, county_name: str) -> str:
    for code, name in city.counties:
        if name == county_name:
            return code
    return city.code + "00"
