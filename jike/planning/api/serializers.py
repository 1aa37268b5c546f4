from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jike.customers.models import Customer
from jike.planning import services
from jike.planning.choices import EDITABLE_STATUSES
from jike.planning.models import (
    AccountPlan,
    BuyingFactorRow,
    CommunicationPlan,
    CompetitorStrength,
    MarketingPlan,
    ServiceSite,
    SolutionOption,
)
from jike.planning.models.plan import CONTENT_FIELDS


class PlanBuyingFactorSerializer(serializers.ModelSerializer[BuyingFactorRow]):
    class Meta:
        model = BuyingFactorRow
        fields = ["id", "position", *services.SECTIONS["buying_factors"].fields]
        read_only_fields = ["id"]


class PlanCompetitorSerializer(serializers.ModelSerializer[CompetitorStrength]):
    total = serializers.IntegerField(read_only=True)

    class Meta:
        model = CompetitorStrength
        fields = ["id", "position", *services.SECTIONS["competitors"].fields, "total"]
        read_only_fields = ["id"]


class PlanSolutionSerializer(serializers.ModelSerializer[SolutionOption]):
    class Meta:
        model = SolutionOption
        fields = ["id", "position", *services.SECTIONS["solutions"].fields]
        read_only_fields = ["id"]


class PlanSiteSerializer(serializers.ModelSerializer[ServiceSite]):
    class Meta:
        model = ServiceSite
        fields = ["id", "position", *services.SECTIONS["sites"].fields]
        read_only_fields = ["id"]


class PlanMarketingSerializer(serializers.ModelSerializer[MarketingPlan]):
    class Meta:
        model = MarketingPlan
        fields = ["id", "position", *services.SECTIONS["marketing_plans"].fields]
        read_only_fields = ["id"]


class PlanCommunicationSerializer(serializers.ModelSerializer[CommunicationPlan]):
    class Meta:
        model = CommunicationPlan
        fields = ["id", "position", *services.SECTIONS["communication_plans"].fields]
        read_only_fields = ["id"]


ROW_SERIALIZERS: dict[str, type[serializers.ModelSerializer[Any]]] = {
    "buying_factors": PlanBuyingFactorSerializer,
    "competitors": PlanCompetitorSerializer,
    "solutions": PlanSolutionSerializer,
    "sites": PlanSiteSerializer,
    "marketing_plans": PlanMarketingSerializer,
    "communication_plans": PlanCommunicationSerializer,
}


class PlanMissingSerializer(serializers.Serializer[Any]):
    step = serializers.IntegerField()
    section = serializers.CharField()
    message = serializers.CharField()


class PlanScoreSerializer(serializers.Serializer[Any]):
    ours = serializers.FloatField()
    competitor = serializers.FloatField()


class AccountPlanSerializer(serializers.ModelSerializer[AccountPlan]):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    author_name = serializers.CharField(source="author.__str__", read_only=True)
    reviewer_name = serializers.SerializerMethodField()

    class Meta:
        model = AccountPlan
        fields = [
            "id",
            "customer",
            "customer_name",
            "version",
            "previous",
            "status",
            "is_current",
            "title",
            "year",
            "author",
            "author_name",
            "reviewer",
            "reviewer_name",
            "submitted_at",
            "reviewed_at",
            "review_comment",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_reviewer_name(self, obj: AccountPlan) -> str | None:
        return str(obj.reviewer) if obj.reviewer_id else None


class AccountPlanDetailSerializer(AccountPlanSerializer):
    buying_factors = PlanBuyingFactorSerializer(many=True, read_only=True)
    competitors = PlanCompetitorSerializer(many=True, read_only=True)
    solutions = PlanSolutionSerializer(many=True, read_only=True)
    sites = PlanSiteSerializer(many=True, read_only=True)
    marketing_plans = PlanMarketingSerializer(many=True, read_only=True)
    communication_plans = PlanCommunicationSerializer(many=True, read_only=True)
    missing = serializers.SerializerMethodField()
    weighted_score = serializers.SerializerMethodField()
    can_edit = serializers.SerializerMethodField()
    can_review = serializers.SerializerMethodField()

    class Meta(AccountPlanSerializer.Meta):
        fields = [
            *AccountPlanSerializer.Meta.fields,
            *[f for f in CONTENT_FIELDS if f not in ("title", "year")],
            *ROW_SERIALIZERS.keys(),
            "missing",
            "weighted_score",
            "can_edit",
            "can_review",
        ]
        read_only_fields = fields

    def _user(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None)

    @extend_schema_field(PlanMissingSerializer(many=True))
    def get_missing(self, obj: AccountPlan) -> list[dict[str, Any]]:
        return PlanMissingSerializer(services.missing_sections(obj), many=True).data  # type: ignore[return-value]

    @extend_schema_field(PlanScoreSerializer)
    def get_weighted_score(self, obj: AccountPlan) -> dict[str, float]:
        return services.weighted_score(obj)

    def get_can_edit(self, obj: AccountPlan) -> bool:
        user = self._user()
        return bool(
            user is not None
            and obj.status in EDITABLE_STATUSES
            and Customer.objects.restrict(user, "change").filter(pk=obj.customer_id).exists()
        )

    def get_can_review(self, obj: AccountPlan) -> bool:
        user = self._user()
        return bool(user is not None and obj.status == "submitted" and services.can_review(user, obj))


class AccountPlanWriteSerializer(serializers.ModelSerializer[AccountPlan]):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())

    class Meta:
        model = AccountPlan
        fields = ["customer", *CONTENT_FIELDS]
        extra_kwargs = {"title": {"required": False}, "year": {"required": False}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["customer"].queryset = Customer.objects.restrict(request.user)  # type: ignore[attr-defined]
        if self.instance is not None:
            self.fields.pop("customer")


class PlanReviewSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
