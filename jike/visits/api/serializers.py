"""Typed serializers for visit plans, logs, follow-ups and the visit reports."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from jike.core.models import User
from jike.customers.choices import Attitude
from jike.customers.models import Customer, KeyPerson
from jike.sales.models import Opportunity
from jike.visits.models import FollowUp, ObservedAttitude, VisitLog, VisitNorm, VisitPlan


def _name(user: User | None) -> str:
    return (user.full_name or user.username) if user is not None else ""


class _Scoped(serializers.ModelSerializer[Any]):
    """Customer, key person and opportunity choices limited to the caller's scope."""

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            user = request.user
            for name, qs in (
                ("customer", Customer.objects.restrict(user)),
                ("key_persons", KeyPerson.objects.restrict(user)),
                ("opportunity", Opportunity.objects.restrict(user)),
                ("plan", VisitPlan.objects.restrict(user)),
            ):
                if name in fields and not fields[name].read_only:
                    field = fields[name]
                    target: Any = getattr(field, "child_relation", field)
                    target.queryset = qs
        if self.instance is not None and not isinstance(self.instance, list | QuerySet) and "customer" in fields:
            fields["customer"].read_only = True
        return fields


class VisitPlanSerializer(_Scoped):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    manager_name = serializers.SerializerMethodField()
    key_persons = serializers.PrimaryKeyRelatedField(queryset=KeyPerson.objects.none(), many=True, required=False)
    opportunity = serializers.PrimaryKeyRelatedField(
        queryset=Opportunity.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = VisitPlan
        fields = [
            "id", "number", "customer", "customer_name", "manager", "manager_name", "planned_at",
            "duration_minutes", "method", "key_persons", "situation", "objectives", "visit_points", "cautions",
            "opportunity", "status", "created_at",
        ]  # fmt: skip
        read_only_fields = ["number", "status", "created_at"]

    def get_manager_name(self, obj: VisitPlan) -> str:
        return _name(obj.manager)


class ObservedAttitudeSerializer(serializers.ModelSerializer[ObservedAttitude]):
    key_person = serializers.PrimaryKeyRelatedField(queryset=KeyPerson.objects.all())
    name = serializers.CharField(source="key_person.name", read_only=True)
    attitude = serializers.ChoiceField(choices=Attitude.choices, source="after")
    before = serializers.CharField(read_only=True)

    class Meta:
        model = ObservedAttitude
        fields = ["key_person", "name", "before", "attitude", "note"]


class FollowUpSerializer(serializers.ModelSerializer[FollowUp]):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    owner_name = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = ["id", "action", "due_date", "owner", "owner_name", "done", "done_at"]
        read_only_fields = ["done_at"]

    def get_owner_name(self, obj: FollowUp) -> str:
        return _name(obj.owner)


class VisitLogSerializer(_Scoped):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    plan = serializers.PrimaryKeyRelatedField(queryset=VisitPlan.objects.none(), required=False, allow_null=True)
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    manager_name = serializers.SerializerMethodField()
    opportunity = serializers.PrimaryKeyRelatedField(
        queryset=Opportunity.objects.none(), required=False, allow_null=True
    )
    visited_at = serializers.DateTimeField(required=False)
    method = serializers.ChoiceField(choices=VisitPlan._meta.get_field("method").choices or [], required=False)
    attitudes = ObservedAttitudeSerializer(many=True, required=False)
    follow_ups = FollowUpSerializer(many=True, required=False)

    class Meta:
        model = VisitLog
        fields = [
            "id", "plan", "customer", "customer_name", "manager", "manager_name", "visited_at", "method", "summary",
            "opportunity", "attitudes", "follow_ups", "created_at",
        ]  # fmt: skip
        read_only_fields = ["created_at"]

    def get_manager_name(self, obj: VisitLog) -> str:
        return _name(obj.manager)


class CancelSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class VisitNormSerializer(serializers.ModelSerializer[VisitNorm]):
    class Meta:
        model = VisitNorm
        fields = ["tier", "every_days"]


class OverdueSerializer(serializers.Serializer[Any]):
    """A customer annotated by visits.reports.with_visit_status; context has `norms` and `now`."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    tier = serializers.CharField()
    last_visit = serializers.DateTimeField(allow_null=True)
    norm_days = serializers.SerializerMethodField()
    days_overdue = serializers.SerializerMethodField()

    def get_norm_days(self, obj: Customer) -> int:
        return int(self.context["norms"].get(obj.tier, 0))

    def get_days_overdue(self, obj: Customer) -> int:
        reference = obj.reference_at  # type: ignore[attr-defined]
        return int((self.context["now"] - reference).days - self.get_norm_days(obj))


class CoverageSerializer(serializers.Serializer[Any]):
    manager_id = serializers.IntegerField()
    manager = serializers.CharField()
    org_unit = serializers.CharField()
    customers = serializers.IntegerField()
    covered = serializers.IntegerField()
    share = serializers.FloatField()
