"""Typed serializers for opportunities, campaigns and the pipeline reports (accurate OpenAPI)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jike.catalog.models import Product
from jike.core.models import OrgUnit, User
from jike.customers.choices import Attitude
from jike.customers.models import Customer, KeyPerson
from jike.sales.models import (
    Campaign,
    Competitor,
    DealRole,
    Influencer,
    NextStep,
    Opportunity,
    OpportunityProduct,
    PositionChange,
    Stage,
    StageChange,
    StageRule,
)


def _user(serializer: serializers.BaseSerializer[Any]) -> User:
    return serializer.context["request"].user  # type: ignore[no-any-return]


def _name(user: User | None) -> str:
    return (user.full_name or user.username) if user is not None else ""


class CompetitorSerializer(serializers.ModelSerializer[Competitor]):
    class Meta:
        model = Competitor
        fields = ["id", "name", "short_name"]


class StageRuleSerializer(serializers.ModelSerializer[StageRule]):
    class Meta:
        model = StageRule
        fields = ["stage", "probability", "stale_days"]


class LineSerializer(serializers.ModelSerializer[OpportunityProduct]):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = OpportunityProduct
        fields = ["product", "product_name", "quantity", "monthly_revenue"]


class OpportunitySerializer(serializers.ModelSerializer[Opportunity]):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    owner_name = serializers.SerializerMethodField()
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.none(), required=False, allow_null=True)
    lines = LineSerializer(many=True, required=False)
    team = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), many=True, required=False)
    competitors = serializers.PrimaryKeyRelatedField(queryset=Competitor.objects.all(), many=True, required=False)
    weighted_revenue = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    stale = serializers.SerializerMethodField()
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False)

    class Meta:
        model = Opportunity
        fields = [
            "id", "number", "customer", "customer_name", "title", "description", "source", "campaign", "lines",
            "estimated_revenue", "probability", "weighted_revenue", "expected_close", "stage", "lost_reason",
            "owner", "owner_name", "team", "competitors", "main_competitor", "position", "stale",
            "last_activity_at", "stage_changed_at", "closed_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "number", "stage", "lost_reason", "last_activity_at", "stage_changed_at", "closed_at", "created_at",
            "updated_at",
        ]  # fmt: skip

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["customer"].queryset = Customer.objects.restrict(request.user)  # type: ignore[attr-defined]
            fields["campaign"].queryset = Campaign.objects.restrict(request.user)  # type: ignore[attr-defined]
        if self.instance is not None and not isinstance(self.instance, list | QuerySet):
            fields["customer"].read_only = True
            fields["position"].read_only = True  # changed through the position action, with history
        return fields

    def get_owner_name(self, obj: Opportunity) -> str:
        return _name(obj.owner)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_stale(self, obj: Opportunity) -> bool:
        value = getattr(obj, "stale", None)
        if value is None:
            from jike.sales.reports import with_stale

            value = with_stale(Opportunity.objects.filter(pk=obj.pk)).values_list("stale", flat=True).first()  # type: ignore[misc]
        return bool(value)


class MoveStageSerializer(serializers.Serializer[Any]):
    stage = serializers.ChoiceField(choices=Stage.choices)
    lost_reason = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    probability = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100, default=None)


class PositionSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField(min_value=-5, max_value=5)
    competitor = serializers.PrimaryKeyRelatedField(
        queryset=Competitor.objects.all(), required=False, allow_null=True, default=None
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class PositionChangeSerializer(serializers.ModelSerializer[PositionChange]):
    competitor_name = serializers.CharField(source="competitor.name", read_only=True, default="")
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = PositionChange
        fields = ["id", "competitor", "competitor_name", "before", "after", "note", "at", "actor_name"]

    def get_actor_name(self, obj: PositionChange) -> str:
        return _name(obj.actor)


class StageChangeSerializer(serializers.ModelSerializer[StageChange]):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = StageChange
        fields = ["id", "from_stage", "to_stage", "at", "note", "actor_name"]

    def get_actor_name(self, obj: StageChange) -> str:
        return _name(obj.actor)


class HistorySerializer(serializers.Serializer[Any]):
    stages = StageChangeSerializer(many=True)
    positions = PositionChangeSerializer(many=True)


class NextStepSerializer(serializers.ModelSerializer[NextStep]):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    owner_name = serializers.SerializerMethodField()

    class Meta:
        model = NextStep
        fields = ["id", "opportunity", "action", "due_date", "owner", "owner_name", "done", "done_at", "created_at"]
        read_only_fields = ["opportunity", "done_at", "created_at"]

    def get_owner_name(self, obj: NextStep) -> str:
        return _name(obj.owner)


class InfluencerSerializer(serializers.ModelSerializer[Influencer]):
    key_person = serializers.PrimaryKeyRelatedField(queryset=KeyPerson.objects.none())
    name = serializers.CharField(source="key_person.name", read_only=True)
    title = serializers.CharField(source="key_person.title", read_only=True)
    decision_role = serializers.CharField(source="key_person.decision_role", read_only=True)
    influence = serializers.CharField(source="key_person.influence", read_only=True)
    attitude_now = serializers.CharField(source="key_person.attitude", read_only=True)
    attitude_before = serializers.SerializerMethodField()
    attitude = serializers.ChoiceField(
        choices=Attitude.choices, write_only=True, required=False, help_text="new attitude (updates the key person)"
    )
    deal_role = serializers.ChoiceField(choices=DealRole.choices)

    class Meta:
        model = Influencer
        fields = [
            "id", "opportunity", "key_person", "name", "title", "decision_role", "influence", "deal_role",
            "attitude_at_start", "attitude_before", "attitude_now", "attitude", "note", "added_at",
        ]  # fmt: skip
        read_only_fields = ["opportunity", "attitude_at_start", "added_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["key_person"].queryset = KeyPerson.objects.restrict(request.user)  # type: ignore[attr-defined]
        if self.instance is not None and not isinstance(self.instance, list | QuerySet):
            fields["key_person"].read_only = True
            fields["deal_role"].required = False
        return fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_attitude_before(self, obj: Influencer) -> str:
        """The attitude before the key person's latest change (was C, now B), from the customer file."""
        history = list(obj.key_person.attitude_history.all()[:1])
        if history and history[0].before:
            return history[0].before
        return obj.attitude_at_start


class BoardCardSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    customer_id = serializers.IntegerField(source="customer.id")
    customer_name = serializers.CharField(source="customer.name")
    owner_name = serializers.SerializerMethodField()
    estimated_revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    probability = serializers.IntegerField()
    expected_close = serializers.DateField()
    stale = serializers.BooleanField()

    def get_owner_name(self, obj: Opportunity) -> str:
        return _name(obj.owner)


class BoardColumnSerializer(serializers.Serializer[Any]):
    stage = serializers.ChoiceField(choices=Stage.choices)
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=18, decimal_places=2)
    stale = serializers.IntegerField()
    cards = BoardCardSerializer(many=True)


class BoardSerializer(serializers.Serializer[Any]):
    columns = BoardColumnSerializer(many=True)


class ForecastRowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=18, decimal_places=2)


class ForecastSerializer(serializers.Serializer[Any]):
    group_by = serializers.CharField()
    rows = ForecastRowSerializer(many=True)
    total_count = serializers.IntegerField()
    total_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    total_weighted = serializers.DecimalField(max_digits=18, decimal_places=2)


class CampaignSerializer(serializers.ModelSerializer[Campaign]):
    org_unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), required=False)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    needs_province_approval = serializers.BooleanField(read_only=True)
    target_segments = serializers.JSONField(required=False)

    class Meta:
        model = Campaign
        fields = [
            "id", "name", "level", "org_unit", "org_unit_name", "theme", "description", "start_date", "end_date",
            "target_segments", "major", "budget", "status", "needs_province_approval", "created_at",
            "submitted_at", "approved_by", "approved_at", "approval_note",
        ]  # fmt: skip
        read_only_fields = [
            "level", "status", "created_at", "submitted_at", "approved_by", "approved_at", "approval_note",
        ]  # fmt: skip


class ApproveSerializer(serializers.Serializer[Any]):
    approve = serializers.BooleanField(default=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class CampaignResultsSerializer(serializers.Serializer[Any]):
    opportunities = serializers.IntegerField()
    open = serializers.IntegerField()
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    pipeline = serializers.DecimalField(max_digits=18, decimal_places=2)
    won_revenue = serializers.DecimalField(max_digits=18, decimal_places=2)
