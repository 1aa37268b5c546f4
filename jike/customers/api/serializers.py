"""Thin serializers: shape and field validation only; writes go through services."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from jike.core.masking import phone_for
from jike.core.models import AuditLog
from jike.customers.choices import GBT4754_SECTION
from jike.customers.models import AttitudeChange, Customer, KeyEvent, KeyPerson, Member, TeamAssignment
from jike.customers.services import CUSTOMER_FIELDS, EVENT_FIELDS, KEY_PERSON_FIELDS, MEMBER_FIELDS


class TeamMemberSerializer(serializers.ModelSerializer[TeamAssignment]):
    staff_name = serializers.CharField(source="staff.__str__", read_only=True)
    staff_username = serializers.CharField(source="staff.username", read_only=True)

    class Meta:
        model = TeamAssignment
        fields = ["team_role", "staff", "staff_name", "staff_username"]


class CustomerListSerializer(serializers.ModelSerializer[Customer]):
    city_name = serializers.CharField(source="city.name", read_only=True)
    grid_name = serializers.SerializerMethodField()
    tier = serializers.CharField(read_only=True)
    industry_label = serializers.CharField(source="get_industry_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id", "credit_code", "name", "short_name", "industry", "industry_label", "tier", "grade", "status",
            "status_label", "city", "city_name", "grid", "grid_name", "monthly_spend", "member_count",
            "unified_member_count", "agreement_end", "parent",
        ]  # fmt: skip

    def get_grid_name(self, obj: Customer) -> str:
        return obj.grid.name if obj.grid else ""


class CustomerSerializer(serializers.ModelSerializer[Customer]):
    """Detail and write shape. Tier and counts are computed elsewhere and read-only here."""

    city_name = serializers.CharField(source="city.name", read_only=True)
    county_name = serializers.SerializerMethodField()
    grid_name = serializers.SerializerMethodField()
    parent_name = serializers.SerializerMethodField()
    tier = serializers.CharField(read_only=True, help_text="A/B/C, empty until tiered")
    gbt4754_section = serializers.SerializerMethodField()
    unified_share = serializers.FloatField(read_only=True)
    team = TeamMemberSerializer(many=True, read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id", *CUSTOMER_FIELDS, "gbt4754_section", "city_name", "county_name", "grid_name", "parent_name",
            "tier", "grade", "member_count", "unified_member_count", "unified_share", "team", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = ["tier", "grade", "member_count", "unified_member_count", "created_at", "updated_at"]
        extra_kwargs: dict[str, dict[str, Any]] = {
            "city": {"required": False},
            # Uniqueness is checked by the database through the service; a duplicate becomes a 400.
            "credit_code": {"validators": []},
        }

    def get_county_name(self, obj: Customer) -> str:
        return obj.county.name if obj.county else ""

    def get_grid_name(self, obj: Customer) -> str:
        return obj.grid.name if obj.grid else ""

    def get_parent_name(self, obj: Customer) -> str:
        return obj.parent.name if obj.parent else ""

    def get_gbt4754_section(self, obj: Customer) -> str:
        return str(GBT4754_SECTION.get(obj.industry, ""))  # type: ignore[call-overload]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and not (attrs.get("city") or attrs.get("grid") or attrs.get("county")):
            raise serializers.ValidationError({"city": "必须指定归属市公司或网格"})
        return attrs


class MemberSerializer(serializers.ModelSerializer[Member]):
    """Numbers are masked unless the requesting role may see personal data."""

    class Meta:
        model = Member
        fields = ["id", *MEMBER_FIELDS]
        extra_kwargs: dict[str, dict[str, Any]] = {"msisdn": {"validators": []}}

    def to_representation(self, instance: Member) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        data["msisdn"] = phone_for(getattr(request, "user", None), instance.msisdn)
        return data


class AttitudeChangeSerializer(serializers.ModelSerializer[AttitudeChange]):
    actor_name = serializers.CharField(source="actor.__str__", read_only=True, default="")

    class Meta:
        model = AttitudeChange
        fields = ["before", "after", "at", "actor_name", "note"]


class KeyPersonSerializer(serializers.ModelSerializer[KeyPerson]):
    attitude_history = AttitudeChangeSerializer(many=True, read_only=True)
    note = serializers.CharField(write_only=True, required=False, allow_blank=True, help_text="态度变化说明")

    class Meta:
        model = KeyPerson
        fields = ["id", "customer", *KEY_PERSON_FIELDS, "note", "attitude_history"]
        read_only_fields = ["customer"]

    def to_representation(self, instance: KeyPerson) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if data.get("mobile"):
            data["mobile"] = phone_for(getattr(request, "user", None), instance.mobile)
        return data


class KeyEventSerializer(serializers.ModelSerializer[KeyEvent]):
    class Meta:
        model = KeyEvent
        fields = ["id", *EVENT_FIELDS]


class AuditEntrySerializer(serializers.ModelSerializer[AuditLog]):
    class Meta:
        model = AuditLog
        fields = [
            "id",
            "at",
            "actor_name",
            "request_id",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
        ]


class HierarchyNodeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    tier = serializers.CharField()
    member_count = serializers.IntegerField()
    monthly_spend = serializers.DecimalField(max_digits=16, decimal_places=2)


class RollupSerializer(serializers.Serializer[Any]):
    units = serializers.IntegerField()
    members = serializers.IntegerField()
    unified_members = serializers.IntegerField()
    monthly_spend = serializers.DecimalField(max_digits=16, decimal_places=2)


class HierarchySerializer(serializers.Serializer[Any]):
    ancestors = HierarchyNodeSerializer(many=True)
    children = HierarchyNodeSerializer(many=True)
    rollup = RollupSerializer()
