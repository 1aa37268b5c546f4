"""Tiering (分层分级, DOMAIN.md section 3): scoring, tier changes, service teams, scorecard editing.

Scoring is pure: `score(customer, scorecard)` reads the customer file, puts each criterion's value
in its band for points (0-100) and takes the weighted mean, so the score is 0-100 whatever the
weights add up to. Every other function here is a service: atomic and audited.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Q, Subquery
from django.utils import timezone

from jike.core import audit, jobs
from jike.core.errors import BusinessRuleError
from jike.core.models import AuditLog, Job, OrgUnit, User
from jike.core.roles import Role
from jike.customers.choices import TeamRole, Tier
from jike.customers.models import (
    Criterion,
    CriterionKey,
    Customer,
    GradeThreshold,
    Scorecard,
    ScorecardStatus,
    TeamAssignment,
    TeamSlot,
    TierChange,
)

CENT = Decimal("0.01")
RETIER_CHUNK = 2000
TIER_ORDER = {Tier.A: 0, Tier.B: 1, Tier.C: 2}
# Fields scoring reads, so batch jobs load nothing else.
SCORED_FIELDS = [
    "id",
    "name",
    "tier",
    "grade",
    "monthly_spend",
    "member_count",
    "unified_member_count",
    "industry_influence",
    "strategic",
    "employees",
]


# ---------------------------------------------------------------- scoring (pure)


def criterion_value(customer: Customer, key: str) -> Decimal:
    """The measured value of one criterion, read off the customer file."""
    if key == CriterionKey.MONTHLY_REVENUE:
        return Decimal(customer.monthly_spend or 0)
    if key == CriterionKey.MEMBERS:
        return Decimal(customer.member_count)
    if key == CriterionKey.UNIFIED_SHARE:
        if not customer.member_count:
            return Decimal(0)
        return (Decimal(100) * customer.unified_member_count / customer.member_count).quantize(CENT, ROUND_HALF_UP)
    if key == CriterionKey.INDUSTRY_INFLUENCE:
        return Decimal(customer.industry_influence)
    if key == CriterionKey.STRATEGIC:
        return Decimal(1 if customer.strategic else 0)
    if key == CriterionKey.EMPLOYEES:
        return Decimal(customer.employees or 0)
    raise ValueError(f"unknown criterion {key!r}")


def band_points(bands: Sequence[Mapping[str, Any]] | Sequence[tuple[Decimal, Decimal]], value: Decimal) -> Decimal:
    """Points of the highest band whose min <= value (bands ascending); 0 below the first band."""
    points = Decimal(0)
    for band in bands:
        low, pts = band if isinstance(band, tuple) else (Decimal(str(band["min"])), Decimal(str(band["points"])))
        if value < low:
            break
        points = pts
    return points


@dataclass(frozen=True)
class RuleCriterion:
    key: str
    label: str
    weight: Decimal
    bands: tuple[tuple[Decimal, Decimal], ...]  # (min, points) ascending


@dataclass(frozen=True)
class Rules:
    """A scorecard parsed once (criteria, bands, grades, labels) so a batch scores without queries."""

    scorecard_id: int | None
    version: int | None
    criteria: tuple[RuleCriterion, ...]
    grades: tuple[tuple[str, str, Decimal], ...]  # (grade, tier, min_score), highest first

    @classmethod
    def of(cls, card: Scorecard) -> Rules:
        labels = dict(CriterionKey.choices)
        criteria = tuple(
            RuleCriterion(
                c.key,
                str(labels.get(c.key, c.key)),
                Decimal(c.weight),
                tuple((Decimal(str(b["min"])), Decimal(str(b["points"]))) for b in c.bands),
            )
            for c in card.criteria.order_by("id")
        )
        grades = tuple((g.grade, g.tier, Decimal(g.min_score)) for g in card.grades.order_by("-min_score"))
        return cls(card.pk, card.version, criteria, grades)


@dataclass(frozen=True)
class Result:
    grade: str
    tier: str
    score: Decimal
    explanation: list[dict[str, Any]] = field(default_factory=list)
    scorecard_version: int | None = None


def _num(value: Decimal) -> int | float:
    """JSON-friendly number: integers stay integers."""
    return int(value) if value == value.to_integral_value() else float(value)


def score(customer: Customer, scorecard: Scorecard | Rules) -> Result:
    """Grade a customer; the explanation lists every criterion with value, points and weight."""
    rules = scorecard if isinstance(scorecard, Rules) else Rules.of(scorecard)
    if not rules.criteria or not rules.grades:
        raise BusinessRuleError("scorecard_incomplete", "评分卡缺少指标或等级 / scorecard has no criteria or grades")
    total_weight = sum((c.weight for c in rules.criteria), Decimal(0))
    if total_weight <= 0:
        raise BusinessRuleError("scorecard_incomplete", "评分卡权重之和须大于0 / weights must add up to more than 0")
    explanation = []
    total = Decimal(0)
    for crit in rules.criteria:
        value = criterion_value(customer, crit.key)
        points = band_points(crit.bands, value)
        weighted = (points * crit.weight / total_weight).quantize(CENT, ROUND_HALF_UP)
        total += weighted
        explanation.append(
            {
                "key": crit.key,
                "label": crit.label,
                "value": _num(value),
                "points": _num(points),
                "weight": _num(crit.weight),
                "weighted": _num(weighted),
            }
        )
    grade, tier = rules.grades[-1][0], rules.grades[-1][1]
    for g, t, min_score in rules.grades:
        if total >= min_score:
            grade, tier = g, t
            break
    return Result(grade, tier, total, explanation, rules.version)


def active_scorecard() -> Scorecard:
    card = Scorecard.objects.filter(status=ScorecardStatus.ACTIVE).first()
    if card is None:
        raise BusinessRuleError("no_active_scorecard", "没有生效的评分卡 / no active scorecard")
    return card


# ---------------------------------------------------------------- tier changes


@dataclass(frozen=True)
class TierOutcome:
    changed: bool
    result: Result
    change: TierChange | None


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "必须填写原因 / a reason is required"})
    if len(reason) > 255:
        raise ValidationError({"reason": "原因不超过255字 / at most 255 characters"})
    return reason


def ensure_can_change(actor: User, customer: Customer) -> None:
    if not Customer.objects.restrict(actor, "change").filter(pk=customer.pk).exists():
        raise BusinessRuleError("forbidden", "无权修改该客户 / not allowed to change this customer", status=403)


def _record_change(
    actor: User | None,
    customer: Customer,
    grade: str,
    tier: str,
    reason: str,
    card: Scorecard | None,
    score_value: Decimal | None,
    explanation: list[dict[str, Any]],
    action: str,
) -> TierChange:
    before = {"tier": customer.tier, "grade": customer.grade}
    change = TierChange.objects.create(
        customer=customer,
        scorecard=card,
        from_grade=customer.grade,
        to_grade=grade,
        to_tier=tier,
        score=score_value,
        explanation=explanation,
        reason=reason,
        actor=actor if actor is not None and actor.pk else None,
    )
    customer.tier, customer.grade = tier, grade
    customer.save(update_fields=["tier", "grade", "updated_at"])
    changes: dict[str, Any] = audit.diff(before, {"tier": tier, "grade": grade})
    changes["reason"] = [None, reason]
    if score_value is not None:
        changes["score"] = [None, str(score_value)]
    audit.record(actor, action, customer, changes)
    return change


@transaction.atomic
def assign_tier(
    actor: User | None, customer: Customer, reason: str, scorecard: Scorecard | None = None, force: bool = False
) -> TierOutcome:
    """Score against the active scorecard and record the tier; nothing happens when the grade is unchanged
    (unless `force`, e.g. to replace a manual override with the computed grade)."""
    reason = _clean_reason(reason)
    card = scorecard or active_scorecard()
    if card.status != ScorecardStatus.ACTIVE:
        raise BusinessRuleError(
            "scorecard_not_active", "只能按生效的评分卡定级 / only the active scorecard assigns tiers"
        )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    result = score(customer, card)
    if not force and (customer.grade, customer.tier) == (result.grade, result.tier):
        return TierOutcome(False, result, None)
    change = _record_change(
        actor,
        customer,
        result.grade,
        result.tier,
        reason,
        card,
        result.score,
        result.explanation,
        "customer.tier_assign",
    )
    return TierOutcome(True, result, change)


@transaction.atomic
def set_tier_manually(actor: User | None, customer: Customer, grade: str, reason: str) -> TierChange:
    """Override the computed tier with a grade of the active scorecard. Manual changes carry no score,
    and batch re-tiering leaves such customers alone until someone re-assigns them."""
    reason = _clean_reason(reason)
    card = active_scorecard()
    threshold = card.grades.filter(grade=(grade or "").strip()).first()
    if threshold is None:
        valid = list(card.grades.values_list("grade", flat=True))
        raise ValidationError({"grade": f"等级须为生效评分卡中的一项: {', '.join(valid)} / unknown grade"})
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    return _record_change(
        actor, customer, threshold.grade, threshold.tier, reason, None, None, [], "customer.tier_override"
    )


def is_manual(change: TierChange | None) -> bool:
    return change is not None and change.score is None


# ---------------------------------------------------------------- service teams


def _search_units(customer: Customer, search_from: str) -> list[OrgUnit]:
    """Closest unit first, never above the customer's city (staff never cross cities)."""
    city = customer.city
    if search_from == "city":
        return [city]
    chain: list[OrgUnit] = []
    for unit in (customer.grid, customer.county, city):
        if unit is not None and unit.path.startswith(city.path) and unit not in chain:
            chain.append(unit)
    return chain


def _pick(slot: TeamSlot, customer: Customer, exclude: set[int]) -> User | None:
    for unit in _search_units(customer, slot.search_from):
        for role in slot.roles():
            candidate = (
                User.objects.filter(is_active=True, role=role, org_unit__path__startswith=unit.path)
                .exclude(pk__in=exclude)
                .annotate(load=Count("assignments"))
                .select_related("org_unit")
                .order_by("load", "id")
                .first()
            )
            if candidate is not None:
                return candidate
    return None


def _staff_row(user: User) -> dict[str, Any]:
    return {
        "staff_id": user.pk,
        "staff_name": str(user),
        "staff_role": user.role,
        "org_unit": user.org_unit.name if user.org_unit else "",
    }


@transaction.atomic
def assign_team(actor: User | None, customer: Customer) -> dict[str, list[dict[str, Any]]]:
    """Fill the empty slots of the customer's tier template with the least-loaded staff nearby.

    Returns {"filled", "kept", "unfilled", "extra"}: new assignments, slots already staffed, slots no
    one could fill (with the reason) and current members whose role the template does not have."""
    customer = (
        Customer.objects.select_for_update(of=("self",)).select_related("city", "county", "grid").get(pk=customer.pk)
    )
    if not customer.tier:
        raise BusinessRuleError("no_tier", "客户尚未定级，无法配置服务团队 / assign a tier first")
    slots = list(TeamSlot.objects.filter(tier=customer.tier))
    current = {a.team_role: a for a in TeamAssignment.objects.filter(customer=customer).select_related("staff")}
    on_team = {a.staff_id for a in current.values()}
    role_labels, staff_labels = dict(TeamRole.choices), dict(Role.choices)
    report: dict[str, list[dict[str, Any]]] = {"filled": [], "kept": [], "unfilled": [], "extra": []}
    for slot in slots:
        existing = current.get(slot.team_role)
        if existing is not None:
            report["kept"].append({"team_role": slot.team_role, **_staff_row(existing.staff)})
            continue
        staff = _pick(slot, customer, on_team)
        if staff is None:
            wanted = "/".join(str(staff_labels.get(r, r)) for r in slot.roles())
            where = customer.city.name if slot.search_from == "city" else f"{customer.city.name}(网格→县→市)"
            report["unfilled"].append(
                {
                    "team_role": slot.team_role,
                    "required": slot.required,
                    "reason": f"{where}内没有可用的{wanted} / no available {'/'.join(slot.roles())} in the city",
                }
            )
            continue
        assignment = TeamAssignment.objects.create(customer=customer, staff=staff, team_role=slot.team_role)
        on_team.add(staff.pk)
        audit.record(
            actor,
            "team.assign",
            assignment,
            {"team_role": [None, slot.team_role], "staff": [None, staff.pk]},
            subject=customer,
        )
        report["filled"].append({"team_role": slot.team_role, **_staff_row(staff)})
    template_roles = {s.team_role for s in slots}
    for role, assignment in current.items():
        if role not in template_roles:
            report["extra"].append({"team_role": role, **_staff_row(assignment.staff)})
    for rows in report.values():
        for row in rows:
            row["label"] = str(role_labels.get(row["team_role"], row["team_role"]))
    return report


# ---------------------------------------------------------------- scorecard editing


def ensure_can_configure(actor: User | None) -> None:
    if actor is None or not actor.can_configure:
        raise BusinessRuleError(
            "forbidden", "只有省公司可以修改分级规则 / only the province edits tier rules", status=403
        )


def _decimal(value: Any, field_name: str) -> Decimal:
    if isinstance(value, bool):
        raise ValidationError({field_name: "必须是数字 / must be a number"})
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field_name: "必须是数字 / must be a number"}) from None
    if not number.is_finite():
        raise ValidationError({field_name: "必须是数字 / must be a number"})
    return number


def validate_criteria(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Weights > 0, known unique keys, bands non-empty with strictly ascending min and points 0-100."""
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        key = str(row.get("key", ""))
        if key not in CriterionKey.values:
            raise ValidationError({f"criteria[{i}].key": f"未知指标 {key!r} / unknown criterion"})
        if key in seen:
            raise ValidationError({f"criteria[{i}].key": f"指标 {key} 重复 / duplicate criterion"})
        seen.add(key)
        weight = _decimal(row.get("weight"), f"criteria[{i}].weight")
        if weight <= 0 or weight >= 1000:
            raise ValidationError({f"criteria[{i}].weight": "权重须大于0且小于1000 / weight must be in (0, 1000)"})
        bands = row.get("bands")
        if not isinstance(bands, list) or not bands:
            raise ValidationError({f"criteria[{i}].bands": "至少需要一个分档 / at least one band"})
        clean_bands: list[dict[str, int | float]] = []
        previous: Decimal | None = None
        for j, band in enumerate(bands):
            if not isinstance(band, Mapping):
                raise ValidationError({f"criteria[{i}].bands[{j}]": "分档须含 min 与 points / band needs min, points"})
            low = _decimal(band.get("min"), f"criteria[{i}].bands[{j}].min")
            points = _decimal(band.get("points"), f"criteria[{i}].bands[{j}].points")
            if previous is not None and low <= previous:
                raise ValidationError({f"criteria[{i}].bands": "分档下限须严格递增 / band minimums must ascend"})
            if not 0 <= points <= 100:
                raise ValidationError({f"criteria[{i}].bands[{j}].points": "得分须在0-100之间 / points 0-100"})
            previous = low
            clean_bands.append({"min": _num(low), "points": _num(points)})
        cleaned.append({"key": key, "weight": weight.quantize(CENT), "bands": clean_bands})
    if not cleaned:
        raise ValidationError({"criteria": "至少需要一个指标 / at least one criterion"})
    return cleaned


def validate_grades(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Thresholds listed highest first, strictly descending, unique grades, tiers in A→B→C order,
    and the last threshold 0 so every customer gets a grade."""
    cleaned: list[dict[str, Any]] = []
    names: set[str] = set()
    for i, row in enumerate(rows):
        grade = str(row.get("grade", "")).strip()
        if not grade or len(grade) > 8:
            raise ValidationError({f"grades[{i}].grade": "等级名1-8个字符 / grade name 1-8 characters"})
        if grade in names:
            raise ValidationError({f"grades[{i}].grade": f"等级 {grade} 重复 / duplicate grade"})
        names.add(grade)
        tier = str(row.get("tier", ""))
        if tier not in Tier.values:
            raise ValidationError({f"grades[{i}].tier": "等级须为 A、B 或 C / tier must be A, B or C"})
        min_score = _decimal(row.get("min_score"), f"grades[{i}].min_score").quantize(CENT)
        if not 0 <= min_score <= 100:
            raise ValidationError({f"grades[{i}].min_score": "最低分须在0-100之间 / min_score 0-100"})
        if cleaned:
            if min_score >= cleaned[-1]["min_score"]:
                raise ValidationError({"grades": "最低分须严格递减 / thresholds must strictly descend"})
            if TIER_ORDER[Tier(tier)] < TIER_ORDER[Tier(cleaned[-1]["tier"])]:
                raise ValidationError({"grades": "高分段的等级不能低于低分段 / tiers must go A, B, C downwards"})
        cleaned.append({"grade": grade, "tier": tier, "min_score": min_score})
    if not cleaned:
        raise ValidationError({"grades": "至少需要一个等级 / at least one grade"})
    if cleaned[-1]["min_score"] != 0:
        raise ValidationError({"grades": "最后一个等级的最低分须为0 / the last threshold must be 0"})
    return cleaned


def scorecard_snapshot(card: Scorecard) -> dict[str, Any]:
    return {
        "name": card.name,
        "note": card.note,
        "status": card.status,
        "criteria": [{"key": c.key, "weight": str(c.weight), "bands": c.bands} for c in card.criteria.order_by("id")],
        "grades": [
            {"grade": g.grade, "tier": g.tier, "min_score": str(g.min_score)}
            for g in card.grades.order_by("-min_score")
        ],
    }


@transaction.atomic
def create_draft(actor: User, source: Scorecard | None = None, name: str = "") -> Scorecard:
    """A new draft version copied from `source` (default: the active scorecard)."""
    ensure_can_configure(actor)
    source = source or Scorecard.objects.filter(status=ScorecardStatus.ACTIVE).first()
    # Lock the table's max version so two drafts created at once cannot collide.
    last = Scorecard.objects.select_for_update().order_by("-version").first()
    version = (last.version if last else 0) + 1
    card = Scorecard.objects.create(
        version=version,
        name=(name or (source.name if source else "评分卡"))[:128],
        note=source.note if source else "",
        status=ScorecardStatus.DRAFT,
        created_by=actor,
    )
    if source is not None:
        Criterion.objects.bulk_create(
            [Criterion(scorecard=card, key=c.key, weight=c.weight, bands=c.bands) for c in source.criteria.all()]
        )
        GradeThreshold.objects.bulk_create(
            [
                GradeThreshold(scorecard=card, grade=g.grade, tier=g.tier, min_score=g.min_score)
                for g in source.grades.all()
            ]
        )
    changes = audit.diff({}, scorecard_snapshot(card))
    changes["copied_from"] = [None, source.version if source else None]
    audit.record(actor, "scorecard.create", card, changes)
    return card


@transaction.atomic
def update_draft(
    actor: User,
    card: Scorecard,
    *,
    name: str | None = None,
    note: str | None = None,
    criteria: Iterable[Mapping[str, Any]] | None = None,
    grades: Iterable[Mapping[str, Any]] | None = None,
) -> Scorecard:
    """Edit a draft; criteria and grades, when given, replace the whole set."""
    ensure_can_configure(actor)
    card = Scorecard.objects.select_for_update().get(pk=card.pk)
    if card.status != ScorecardStatus.DRAFT:
        raise BusinessRuleError("scorecard_not_draft", "只能修改草稿 / only drafts can be edited")
    before = scorecard_snapshot(card)
    clean_criteria = validate_criteria(criteria) if criteria is not None else None
    clean_grades = validate_grades(grades) if grades is not None else None
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": "名称不能为空 / name is required"})
        card.name = name.strip()[:128]
    if note is not None:
        card.note = note
    card.save(update_fields=["name", "note"])
    if clean_criteria is not None:
        card.criteria.all().delete()
        Criterion.objects.bulk_create([Criterion(scorecard=card, **row) for row in clean_criteria])
    if clean_grades is not None:
        card.grades.all().delete()
        GradeThreshold.objects.bulk_create([GradeThreshold(scorecard=card, **row) for row in clean_grades])
    changes = audit.diff(before, scorecard_snapshot(card))
    if changes:
        audit.record(actor, "scorecard.update", card, changes)
    return card


@transaction.atomic
def activate(actor: User, card: Scorecard) -> Scorecard:
    """Make a draft the one active scorecard; the previous one is retired. Tiers change on the next
    assignment or batch re-tiering, not here."""
    ensure_can_configure(actor)
    card = Scorecard.objects.select_for_update().get(pk=card.pk)
    if card.status != ScorecardStatus.DRAFT:
        raise BusinessRuleError("scorecard_not_draft", "只能启用草稿 / only a draft can be activated")
    validate_criteria([{"key": c.key, "weight": c.weight, "bands": c.bands} for c in card.criteria.all()])
    validate_grades(
        [{"grade": g.grade, "tier": g.tier, "min_score": g.min_score} for g in card.grades.order_by("-min_score")]
    )
    for old in Scorecard.objects.select_for_update().filter(status=ScorecardStatus.ACTIVE):
        old.status = ScorecardStatus.RETIRED
        old.save(update_fields=["status"])
        audit.record(actor, "scorecard.retire", old, {"status": [ScorecardStatus.ACTIVE, ScorecardStatus.RETIRED]})
    card.status = ScorecardStatus.ACTIVE
    card.activated_at = timezone.now()
    card.save(update_fields=["status", "activated_at"])
    audit.record(actor, "scorecard.activate", card, {"status": [ScorecardStatus.DRAFT, ScorecardStatus.ACTIVE]})
    return card


# ---------------------------------------------------------------- batch re-tiering


def retier(actor: User, scope_user: User, reason: str, include_overridden: bool = False) -> Job:
    """Start a job re-scoring every customer `scope_user` may change, with progress on the Job row."""
    if not actor.can_manage:
        raise BusinessRuleError("forbidden", "只有管理人员可以批量重新定级 / managers only", status=403)
    reason = _clean_reason(reason)
    card = active_scorecard()
    job = Job.objects.create(
        kind="customers.retier",
        created_by=actor,
        params={
            "reason": reason,
            "scope_user": scope_user.pk,
            "scorecard_version": card.version,
            "include_overridden": include_overridden,
        },
    )
    fn = partial(
        _run_retier,
        actor_id=actor.pk,
        scope_user_id=scope_user.pk,
        reason=reason,
        card_id=card.pk,
        include_overridden=include_overridden,
    )
    return jobs.start(job, fn)


def _latest_is_manual() -> Subquery:
    latest = (
        TierChange.objects.filter(customer_id=OuterRef("pk"))
        .order_by("-at", "-id")
        .annotate(manual=ExpressionWrapper(Q(score__isnull=True), output_field=BooleanField()))
        .values("manual")[:1]
    )
    return Subquery(latest, output_field=BooleanField())


def _run_retier(
    job: Job,
    progress: jobs.Progress,
    *,
    actor_id: int,
    scope_user_id: int,
    reason: str,
    card_id: int,
    include_overridden: bool,
) -> dict[str, Any]:
    started = time.monotonic()
    actor = User.objects.select_related("org_unit").get(pk=actor_id)
    scope_user = User.objects.select_related("org_unit").get(pk=scope_user_id)
    card = Scorecard.objects.get(pk=card_id)
    rules = Rules.of(card)
    rows = list(
        Customer.objects.restrict(scope_user, "change")
        .annotate(manual=_latest_is_manual())
        .order_by("pk")
        .values_list("pk", "manual")
    )
    ids = [pk for pk, manual in rows if include_overridden or not manual]
    skipped = len(rows) - len(ids)
    progress.set_total(len(ids))
    counts: Counter[str] = Counter()
    changed = 0
    done = 0
    for start in range(0, len(ids), RETIER_CHUNK):
        chunk = ids[start : start + RETIER_CHUNK]
        changed += _retier_chunk(job, actor, chunk, reason, card, rules, counts)
        done += len(chunk)
        progress.advance(done, force=True)
    return {
        "total": len(ids),
        "changed": changed,
        "unchanged": len(ids) - changed,
        "skipped_manual": skipped,
        "by_grade": dict(sorted(counts.items())),
        "scorecard_version": card.version,
        "seconds": round(time.monotonic() - started, 2),
    }


def _set_tiers(rows: list[tuple[Customer, str, str]], now: Any) -> set[int]:
    """Write new tiers; rows are (customer with the new tier/grade, old tier, old grade). Returns the
    ids actually updated: a customer whose tier someone changed since it was read is left alone
    (optimistic check instead of locking 2,000 rows per chunk)."""
    if connection.vendor != "postgresql":
        return {
            c.pk
            for c, old_tier, old_grade in rows
            if Customer.objects.filter(pk=c.pk, tier=old_tier, grade=old_grade).update(
                tier=c.tier, grade=c.grade, updated_at=now
            )
        }
    # One UPDATE ... FROM (VALUES ...): Django's bulk_update builds a CASE per row, O(rows²) per chunk.
    values = ", ".join(["(%s::bigint, %s, %s, %s, %s)"] * len(rows))
    params: list[Any] = [now]
    for c, old_tier, old_grade in rows:
        params += [c.pk, old_tier, old_grade, c.tier, c.grade]
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{Customer._meta.db_table}" AS c SET tier = v.tier, grade = v.grade, updated_at = %s '
            f"FROM (VALUES {values}) AS v(id, old_tier, old_grade, tier, grade) "
            "WHERE c.id = v.id AND c.tier = v.old_tier AND c.grade = v.old_grade RETURNING c.id",
            params,
        )
        return {row[0] for row in cursor.fetchall()}


def _copy(model: type[models.Model], objs: list[Any]) -> None:
    """Insert with COPY on PostgreSQL (history and audit rows carry JSON; COPY is several times
    faster than a multi-row INSERT), bulk_create elsewhere."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=500)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for obj in objs:
                copy.write_row([_copy_value(f, getattr(obj, f.attname)) for f in fields])


def _copy_value(f: models.Field[Any, Any], value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(f, models.JSONField) else value


@transaction.atomic
def _retier_chunk(
    job: Job,
    actor: User,
    ids: list[int],
    reason: str,
    card: Scorecard,
    rules: Rules,
    counts: Counter[str],
) -> int:
    """Score one chunk and write the changes with three bulk statements (customers, history, audit)."""
    now = timezone.now()
    rows: list[tuple[Customer, str, str]] = []
    results: dict[int, Result] = {}
    for customer in Customer.objects.filter(pk__in=ids).only(*SCORED_FIELDS).order_by("pk"):
        result = score(customer, rules)
        counts[result.grade] += 1
        if (customer.grade, customer.tier) != (result.grade, result.tier):
            rows.append((customer, customer.tier, customer.grade))
            customer.tier, customer.grade = result.tier, result.grade
            results[customer.pk] = result
    if not rows:
        return 0
    written = _set_tiers(rows, now)
    label = Customer._meta.label_lower
    history, logs = [], []
    for c, old_tier, old_grade in rows:
        if c.pk not in written:
            continue
        r = results[c.pk]
        history.append(
            TierChange(
                customer_id=c.pk,
                scorecard_id=card.pk,
                from_grade=old_grade,
                to_grade=r.grade,
                to_tier=r.tier,
                score=r.score,
                explanation=r.explanation,
                reason=reason,
                at=now,
                actor_id=actor.pk,
            )
        )
        changes = audit.diff({"tier": old_tier, "grade": old_grade}, {"tier": r.tier, "grade": r.grade})
        logs.append(
            AuditLog(
                at=now,
                actor_id=actor.pk,
                actor_name=str(actor),
                request_id=f"job-{job.pk}",
                action="customer.tier_assign",
                object_type=label,
                object_id=str(c.pk),
                object_repr=c.name[:200],
                subject_type=label,
                subject_id=str(c.pk),
                changes={**changes, "reason": [None, reason], "score": [None, str(r.score)]},
            )
        )
    _copy(TierChange, history)
    _copy(AuditLog, logs)
    return len(history)


# ---------------------------------------------------------------- customer page panel


def tier_panel_context(customer: Customer) -> dict[str, Any]:
    """Context for customers/tiering/_customer_tier.html (the customer 360 page includes it)."""
    history = list(TierChange.objects.filter(customer=customer).select_related("actor", "scorecard")[:5])
    latest = history[0] if history else None
    last_scored = next((h for h in history if not is_manual(h)), None)
    team = list(TeamAssignment.objects.filter(customer=customer).select_related("staff", "staff__org_unit"))
    template = list(TeamSlot.objects.filter(tier=customer.tier)) if customer.tier else []
    staffed = {a.team_role for a in team}
    return {
        "tier_latest": latest,
        "tier_manual": is_manual(latest),
        "tier_explanation": last_scored.explanation if last_scored else [],
        "tier_score": last_scored.score if last_scored else None,
        "tier_history": history,
        "tier_team": team,
        "tier_missing_roles": [s.get_team_role_display() for s in template if s.team_role not in staffed],
    }
