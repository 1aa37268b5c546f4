"""Seed the visit norms per tier: A monthly, B every two months, C quarterly."""

from django.db import migrations

NORMS = [("A", 30), ("B", 60), ("C", 90)]


def seed(apps, schema_editor):
    VisitNorm = apps.get_model("visits", "VisitNorm")
    for tier, days in NORMS:
        VisitNorm.objects.update_or_create(tier=tier, defaults={"every_days": days})


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
