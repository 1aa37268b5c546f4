# Unmanaged models: the gateway creates and writes these tables itself (jike gateway init-db).

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Cdr",
            fields=[
                ("message_id", models.TextField(primary_key=True, serialize=False)),
                ("message_type", models.CharField(max_length=4)),
                ("enterprise_code", models.CharField(max_length=32)),
                ("system_id", models.CharField(max_length=16)),
                ("product", models.CharField(max_length=64)),
                ("content_class", models.CharField(max_length=32)),
                ("source_addr", models.CharField(max_length=21)),
                ("destination_addr", models.CharField(max_length=21)),
                ("segments", models.IntegerField()),
                ("priority", models.SmallIntegerField()),
                ("route", models.CharField(max_length=64)),
                ("smsc_message_id", models.CharField(max_length=65)),
                ("accepted_at", models.DateTimeField()),
                ("submitted_at", models.DateTimeField(null=True)),
                ("done_at", models.DateTimeField(null=True)),
                ("status", models.CharField(max_length=16)),
                ("error_code", models.IntegerField()),
                ("reason", models.CharField(max_length=32)),
                ("billable", models.BooleanField()),
            ],
            options={
                "verbose_name": "CDR",
                "db_table": "gateway_cdr",
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="MonthlyCharge",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "month",
                        "enterprise_code",
                        "product",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("month", models.CharField(max_length=7)),
                ("enterprise_code", models.CharField(max_length=32)),
                ("product", models.CharField(max_length=64)),
                ("charging_mode", models.CharField(max_length=16)),
                ("messages", models.IntegerField()),
                ("segments", models.IntegerField()),
                ("amount_fen", models.BigIntegerField()),
                ("detail", models.JSONField()),
                ("rated_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "monthly charge",
                "db_table": "gateway_charge",
                "managed": False,
            },
        ),
    ]
