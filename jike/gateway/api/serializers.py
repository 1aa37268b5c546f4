"""Serializers for the gateway's platform side. Passwords are write-only and never returned."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from jike.catalog.models import Product
from jike.customers.models import Customer
from jike.gateway.models import Connector, GlobalListEntry, MonthlyCharge, Route, SmsAccount

LIST_HELP = "a JSON array of strings"


class SmsAccountSerializer(serializers.ModelSerializer[SmsAccount]):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    enterprise_code = serializers.CharField(source="customer.credit_code", read_only=True)
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False, allow_null=True)
    product_code = serializers.CharField(source="product.code", read_only=True, default=None, allow_null=True)
    password = serializers.CharField(write_only=True, min_length=6, max_length=8, help_text="SMPP password, 6-8 ASCII")
    allowed_ips = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    blacklist = serializers.ListField(child=serializers.CharField(max_length=32), required=False)
    whitelist = serializers.ListField(child=serializers.CharField(max_length=32), required=False)
    keywords = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    mo_addresses = serializers.ListField(child=serializers.CharField(max_length=32), required=False)

    class Meta:
        model = SmsAccount
        fields = [
            "id", "customer", "customer_name", "enterprise_code", "system_id", "password", "name", "product",
            "product_code", "allowed_ips", "max_binds", "signature", "signature_mode", "whitelist_mode", "blacklist",
            "whitelist", "keywords", "rate", "daily_quota", "max_priority", "ordering", "content_class", "mo_addresses",
            "status", "notes", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "status", "created_at", "updated_at"]
        extra_kwargs: dict[str, Any] = {
            "system_id": {"validators": []}
        }  # uniqueness is the service's, with a Chinese message

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["customer"].queryset = Customer.objects.restrict(request.user)  # type: ignore[attr-defined]
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            # system_id and customer are fixed once created; the password has its own endpoint.
            for name in ("customer", "system_id"):
                self.fields[name].read_only = True
            self.fields.pop("password", None)


class PasswordSerializer(serializers.Serializer[Any]):
    password = serializers.CharField(write_only=True, min_length=6, max_length=8)


class SuspendSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class ListEditSerializer(serializers.Serializer[Any]):
    field = serializers.ChoiceField(choices=["blacklist", "whitelist", "keywords"])
    add = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)
    remove = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)


class ConnectorSerializer(serializers.ModelSerializer[Connector]):
    password = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=8)

    class Meta:
        model = Connector
        fields = [
            "id", "name", "host", "port", "system_id", "password", "system_type", "binds", "window",
            "failover_after_s", "notes",
        ]  # fmt: skip
        read_only_fields = ["id"]
        extra_kwargs: dict[str, Any] = {"name": {"validators": []}}


class RouteSerializer(serializers.ModelSerializer[Route]):
    connectors = serializers.ListField(
        child=serializers.CharField(max_length=64), min_length=1, help_text="connector names in failover order"
    )
    prefix = serializers.CharField(max_length=11, allow_blank=True, required=False, default="", validators=[])

    class Meta:
        model = Route
        fields = ["id", "prefix", "connectors", "notes", "updated_at"]
        read_only_fields = ["id", "updated_at"]


class GlobalListEntrySerializer(serializers.ModelSerializer[GlobalListEntry]):
    class Meta:
        model = GlobalListEntry
        fields = ["id", "kind", "value", "notes", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators: list[Any] = []


class MonthlyChargeSerializer(serializers.ModelSerializer[MonthlyCharge]):
    amount_yuan = serializers.SerializerMethodField()

    class Meta:
        model = MonthlyCharge
        fields = [
            "month", "enterprise_code", "product", "charging_mode", "messages", "segments", "amount_fen",
            "amount_yuan", "detail", "rated_at",
        ]  # fmt: skip

    def get_amount_yuan(self, obj: MonthlyCharge) -> str:
        return f"{obj.amount_fen / 100:.2f}"
