"""Seed the default tier scorecard v1 and the service-team template per tier (DOMAIN.md section 3).

Calibration: ARPU >= 3,000 yuan/month is a "major customer" (大客户); > 499 employees is "large";
10+ members make a group. Points per criterion run 0-100; the score is the weighted mean (0-100).
The province edits these rows as data (draft copy, then activate); this only seeds an empty table.
"""

from decimal import Decimal

from django.db import migrations

CRITERIA = [
    # key, weight, bands [(min, points)] ascending: the highest band whose min <= value applies.
    ("monthly_revenue", "40", [(0, 0), (500, 20), (1000, 40), (3000, 70), (10000, 85), (50000, 100)]),
    ("members", "15", [(0, 0), (10, 20), (50, 40), (200, 60), (500, 80), (2000, 100)]),
    ("unified_share", "15", [(0, 0), (10, 30), (30, 60), (60, 80), (90, 100)]),
    ("industry_influence", "10", [(1, 0), (2, 25), (3, 50), (4, 75), (5, 100)]),
    ("strategic", "10", [(0, 0), (1, 100)]),
    ("employees", "10", [(0, 0), (50, 20), (100, 40), (500, 80), (2000, 100)]),
]
GRADES = [("A1", "A", "75"), ("A2", "A", "60"), ("B1", "B", "45"), ("B2", "B", "30"), ("C", "C", "0")]
SLOTS = [
    # tier, team role, staff roles in preference order, where to search
    ("A", "chief_rep", ["chief_rep"], "city"),
    ("A", "cm_senior", ["cm_senior"], "grid"),
    ("A", "industry_manager", ["industry_manager"], "city"),
    ("A", "sales_engineer", ["sales_engineer"], "city"),
    ("B", "cm_mid", ["cm_mid", "cm_senior"], "grid"),
    ("B", "industry_manager", ["industry_manager"], "city"),
    ("B", "sales_engineer", ["sales_engineer"], "city"),
    ("C", "cm_junior", ["cm_junior", "phone_manager"], "grid"),
]


def forwards(apps, schema_editor):
    Scorecard = apps.get_model("customers", "Scorecard")
    Criterion = apps.get_model("customers", "Criterion")
    GradeThreshold = apps.get_model("customers", "GradeThreshold")
    TeamSlot = apps.get_model("customers", "TeamSlot")
    if not Scorecard.objects.exists():
        from django.utils import timezone

        card = Scorecard.objects.create(
            version=1,
            name="默认评分卡",
            status="active",
            activated_at=timezone.now(),
            note="按月收入、成员数、统付占比、行业影响力、战略标识、员工数加权评分；月收入≥3000元为大客户，员工>499人为大型。",
        )
        for key, weight, bands in CRITERIA:
            Criterion.objects.create(
                scorecard=card, key=key, weight=Decimal(weight), bands=[{"min": m, "points": p} for m, p in bands]
            )
        for grade, tier, min_score in GRADES:
            GradeThreshold.objects.create(scorecard=card, grade=grade, tier=tier, min_score=Decimal(min_score))
    if not TeamSlot.objects.exists():
        for tier, team_role, staff_roles, search_from in SLOTS:
            TeamSlot.objects.create(
                tier=tier, team_role=team_role, staff_roles=staff_roles, search_from=search_from, required=True
            )


def backwards(apps, schema_editor):
    apps.get_model("customers", "TeamSlot").objects.all().delete()
    Scorecard = apps.get_model("customers", "Scorecard")
    apps.get_model("customers", "TierChange").objects.filter(scorecard__version=1).update(scorecard=None)
    Scorecard.objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_name_trigram")]
    operations = [migrations.RunPython(forwards, backwards)]
