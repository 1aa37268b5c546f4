"""Seed the stage rules (default win probability, stale threshold) and the usual competitors."""

from django.db import migrations

RULES = [
    ("discovered", 10, 30),
    ("qualified", 20, 30),
    ("solution", 40, 21),
    ("proposal", 60, 14),
    ("negotiation", 80, 14),
    ("won", 100, None),
    ("lost", 0, None),
]
COMPETITORS = [("中国电信", "电信"), ("中国联通", "联通"), ("中国广电", "广电"), ("系统集成商自建", "自建")]


def seed(apps, schema_editor):
    StageRule = apps.get_model("sales", "StageRule")
    Competitor = apps.get_model("sales", "Competitor")
    for stage, probability, days in RULES:
        StageRule.objects.update_or_create(stage=stage, defaults={"probability": probability, "stale_days": days})
    for name, short in COMPETITORS:
        Competitor.objects.get_or_create(name=name, defaults={"short_name": short})


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
