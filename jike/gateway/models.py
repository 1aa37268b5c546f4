"""Read-side Django models over the tables the gateway process writes with psycopg.

The gateway owns these tables (``jike gateway init-db`` creates them; the hot path writes CDRs with
``COPY``), so the models are unmanaged: the platform reads CDRs and monthly charges through the ORM
without ever writing them.  Enterprises are referenced by their unified social credit code, not by
a foreign key, so this app does not depend on the platform's other apps.
"""

from __future__ import annotations

from django.db import models


class Cdr(models.Model):
    message_id = models.TextField(primary_key=True)
    message_type = models.CharField(max_length=4)
    enterprise_code = models.CharField(max_length=32)
    system_id = models.CharField(max_length=16)
    product = models.CharField(max_length=64)
    content_class = models.CharField(max_length=32)
    source_addr = models.CharField(max_length=21)
    destination_addr = models.CharField(max_length=21)
    segments = models.IntegerField()
    priority = models.SmallIntegerField()
    route = models.CharField(max_length=64)
    smsc_message_id = models.CharField(max_length=65)
    accepted_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True)
    done_at = models.DateTimeField(null=True)
    status = models.CharField(max_length=16)
    error_code = models.IntegerField()
    reason = models.CharField(max_length=32)
    billable = models.BooleanField()

    class Meta:
        managed = False
        db_table = "gateway_cdr"
        verbose_name = "CDR"

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"


class MonthlyCharge(models.Model):
    # the table's key is (month, enterprise_code, product); Django needs one column to call pk
    pk = models.CompositePrimaryKey("month", "enterprise_code", "product")
    month = models.CharField(max_length=7)
    enterprise_code = models.CharField(max_length=32)
    product = models.CharField(max_length=64)
    charging_mode = models.CharField(max_length=16)
    messages = models.IntegerField()
    segments = models.IntegerField()
    amount_fen = models.BigIntegerField()
    detail = models.JSONField()
    rated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "gateway_charge"
        verbose_name = "monthly charge"

    def __str__(self) -> str:
        return f"{self.month} {self.enterprise_code} {self.product}: {self.amount_fen / 100:.2f}"
