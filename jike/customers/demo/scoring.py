"""Tier and grade from the active scorecard, computed exactly as the tiering service scores
(weighted band points, each rounded to cents), so the demo's tiers agree with a re-tiering run."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from jike.customers.demo.plan import Cust
from jike.customers.models import CriterionKey, Scorecard

CENT = Decimal("0.01")
# The seeded scorecard v1 (migration 0003), used when the table has no active card.
DEFAULT_CRITERIA = (
    ("monthly_revenue", 40, ((0, 0), (500, 20), (1000, 40), (3000, 70), (10000, 85), (50000, 100))),
    ("members", 15, ((0, 0), (10, 20), (50, 40), (200, 60), (500, 80), (2000, 100))),
    ("unified_share", 15, ((0, 0), (10, 30), (30, 60), (60, 80), (90, 100))),
    ("industry_influence", 10, ((1, 0), (2, 25), (3, 50), (4, 75), (5, 100))),
    ("strategic", 10, ((0, 0), (1, 100))),
    ("employees", 10, ((0, 0), (50, 20), (100, 40), (500, 80), (2000, 100))),
)
DEFAULT_GRADES = (("A1", "A", 75), ("A2", "A", 60), ("B1", "B", 45), ("B2", "B", 30), ("C", "C", 0))


class Rules:
    def __init__(self) -> None:
        card = Scorecard.objects.filter(status="active").first()
        self.scorecard_id: int | None = card.pk if card else None
        if card is not None and card.criteria.exists() and card.grades.exists():
            self.criteria = [
                (c.key, Decimal(c.weight), [(Decimal(str(b["min"])), Decimal(str(b["points"]))) for b in c.bands])
                for c in card.criteria.order_by("id")
            ]
            self.grades = [(g.grade, g.tier, Decimal(g.min_score)) for g in card.grades.order_by("-min_score")]
        else:
            self.criteria = [(k, Decimal(w), [(Decimal(m), Decimal(p)) for m, p in b]) for k, w, b in DEFAULT_CRITERIA]
            self.grades = [(g, t, Decimal(m)) for g, t, m in DEFAULT_GRADES]
        self.labels = {k: str(v) for k, v in CriterionKey.choices}
        self.total_weight = sum((w for _, w, _ in self.criteria), Decimal(0))

    @staticmethod
    def value(c: Cust, key: str) -> Decimal:
        if key == "monthly_revenue":
            return Decimal(str(c.monthly_spend))
        if key == "members":
            return Decimal(c.member_count)
        if key == "unified_share":
            if not c.member_count:
                return Decimal(0)
            return (Decimal(100) * c.unified_member_count / c.member_count).quantize(CENT, ROUND_HALF_UP)
        if key == "industry_influence":
            return Decimal(c.industry_influence)
        if key == "strategic":
            return Decimal(1 if c.strategic else 0)
        if key == "employees":
            return Decimal(c.employees or 0)
        return Decimal(0)

    def score(self, c: Cust) -> tuple[Decimal, str, str, list[dict[str, Any]]]:
        """(score, grade, tier, explanation)."""
        total, explanation = Decimal(0), []
        for key, weight, bands in self.criteria:
            value = self.value(c, key)
            points = Decimal(0)
            for low, pts in bands:
                if value >= low:
                    points = pts
                else:
                    break
            weighted = (points * weight / self.total_weight).quantize(CENT, ROUND_HALF_UP)
            total += weighted
            explanation.append(
                {
                    "key": key,
                    "label": self.labels.get(key, key),
                    "value": _num(value),
                    "points": _num(points),
                    "weight": _num(weight),
                    "weighted": _num(weighted),
                }
            )
        grade, tier = self.grades[-1][0], self.grades[-1][1]
        for g, t, low in self.grades:
            if total >= low:
                grade, tier = g, t
                break
        return total, grade, tier, explanation


def _num(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
