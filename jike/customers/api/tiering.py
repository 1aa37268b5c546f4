"""Tiering API: scorecards (province edits drafts, activates), per-customer tier and team actions,
and batch re-tiering jobs. Thin: every change goes through jike.customers.tiering."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from jike.core.api.serializers import JobSerializer
from jike.core.models import User
from jike.customers import tiering
from jike.customers.choices import TeamRole, Tier
from jike.customers.models import CriterionKey, Customer, Scorecard, TierChange

TAGS = ["tiering"]
# Fields named `label`, `source` or `required` shadow Field attributes in the DRF stubs: hence the
# `type: ignore[assignment]` on them below; the serializers themselves are ordinary.


def _number(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=False, **kwargs)


class BandSerializer(serializers.Serializer[Any]):
    min = serializers.FloatField()
    points = serializers.FloatField()


class CriterionSerializer(serializers.Serializer[Any]):
    key = serializers.ChoiceField(choices=CriterionKey.choices)
    label = serializers.CharField(source="get_key_display", read_only=True)  # type: ignore[assignment]
    weight = _number()
    bands = BandSerializer(many=True)


class GradeSerializer(serializers.Serializer[Any]):
    grade = serializers.CharField(max_length=8)
    tier = serializers.ChoiceField(choices=Tier.choices)
    min_score = _number()


class ScorecardSerializer(serializers.ModelSerializer[Scorecard]):
    criteria = CriterionSerializer(many=True, read_only=True)
    grades = GradeSerializer(many=True, read_only=True)

    class Meta:
        model = Scorecard
        fields = [
            "id",
            "version",
            "name",
            "status",
            "note",
            "created_at",
            "activated_at",
            "created_by",
            "criteria",
            "grades",
        ]
        read_only_fields = fields


class ScorecardCreateSerializer(serializers.Serializer[Any]):
    source = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Scorecard.objects.all(), required=False, allow_null=True, help_text="copy of (default: active)"
    )
    name = serializers.CharField(max_length=128, required=False, allow_blank=True)


class ScorecardUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=128, required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    criteria = CriterionSerializer(many=True, required=False, help_text="replaces all criteria")
    grades = GradeSerializer(many=True, required=False, help_text="replaces all grades, highest threshold first")


class ExplanationSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.FloatField()
    points = serializers.FloatField()
    weight = serializers.FloatField()
    weighted = serializers.FloatField()


class TierResultSerializer(serializers.Serializer[Any]):
    grade = serializers.CharField()
    tier = serializers.ChoiceField(choices=Tier.choices)
    score = _number()
    scorecard_version = serializers.IntegerField(allow_null=True)
    explanation = ExplanationSerializer(many=True)


class TierPreviewSerializer(TierResultSerializer):
    current_grade = serializers.CharField(allow_blank=True)
    current_tier = serializers.CharField(allow_blank=True)
    would_change = serializers.BooleanField()


class TierChangeSerializer(serializers.ModelSerializer[TierChange]):
    manual = serializers.SerializerMethodField()
    scorecard_version = serializers.IntegerField(source="scorecard.version", read_only=True, allow_null=True)
    actor_name = serializers.CharField(source="actor", read_only=True, allow_null=True)
    explanation = ExplanationSerializer(many=True, read_only=True)
    score = _number(read_only=True, allow_null=True)

    class Meta:
        model = TierChange
        fields = [
            "id",
            "from_grade",
            "to_grade",
            "to_tier",
            "score",
            "manual",
            "scorecard_version",
            "explanation",
            "reason",
            "at",
            "actor",
            "actor_name",
        ]
        read_only_fields = fields

    def get_manual(self, obj: TierChange) -> bool:
        return tiering.is_manual(obj)


class ComputeTierRequestSerializer(serializers.Serializer[Any]):
    scorecard = serializers.PrimaryKeyRelatedField(
        queryset=Scorecard.objects.all(), required=False, allow_null=True, help_text="default: the active scorecard"
    )


class AssignTierRequestSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=255)
    force = serializers.BooleanField(default=False, help_text="record even if the grade is unchanged")


class AssignTierResponseSerializer(serializers.Serializer[Any]):
    changed = serializers.BooleanField()
    result = TierResultSerializer()
    # Omitted (not null) when nothing changed: openapi-core mishandles nullable $ref objects.
    change = TierChangeSerializer(required=False, help_text="present only when a change was recorded")


class OverrideRequestSerializer(serializers.Serializer[Any]):
    grade = serializers.CharField(max_length=8)
    reason = serializers.CharField(max_length=255)


class TeamMemberRowSerializer(serializers.Serializer[Any]):
    team_role = serializers.ChoiceField(choices=TeamRole.choices)
    label = serializers.CharField()  # type: ignore[assignment]
    staff_id = serializers.IntegerField()
    staff_name = serializers.CharField()
    staff_role = serializers.CharField()
    org_unit = serializers.CharField(allow_blank=True)


class UnfilledRowSerializer(serializers.Serializer[Any]):
    team_role = serializers.ChoiceField(choices=TeamRole.choices)
    label = serializers.CharField()  # type: ignore[assignment]
    required = serializers.BooleanField()  # type: ignore[assignment]
    reason = serializers.CharField()


class TeamReportSerializer(serializers.Serializer[Any]):
    filled = TeamMemberRowSerializer(many=True)
    kept = TeamMemberRowSerializer(many=True)
    unfilled = UnfilledRowSerializer(many=True)
    extra = TeamMemberRowSerializer(many=True, help_text="current members whose role the tier template lacks")


class RetierRequestSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=255)
    include_overridden = serializers.BooleanField(default=False, help_text="also re-score manual overrides")


# ---------------------------------------------------------------- scorecards


@extend_schema(tags=TAGS)
class ScorecardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Scorecard]):
    """Versioned tier scorecards. Anyone signed in reads them; the province (can_configure) creates a
    draft copy, edits it and activates it, which retires the previous active version."""

    serializer_class = ScorecardSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Scorecard]:
        return Scorecard.objects.prefetch_related("criteria", "grades").order_by("-version")

    def _user(self) -> User:
        return self.request.user  # type: ignore[return-value]

    @extend_schema(request=ScorecardCreateSerializer, responses={201: ScorecardSerializer})
    def create(self, request: Request) -> Response:
        tiering.ensure_can_configure(self._user())
        ser = ScorecardCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        card = tiering.create_draft(
            self._user(), ser.validated_data.get("source"), name=ser.validated_data.get("name", "")
        )
        return Response(ScorecardSerializer(self.get_queryset().get(pk=card.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ScorecardUpdateSerializer, responses={200: ScorecardSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        card = self.get_object()
        tiering.ensure_can_configure(self._user())
        ser = ScorecardUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        tiering.update_draft(self._user(), card, **ser.validated_data)
        return Response(ScorecardSerializer(self.get_queryset().get(pk=card.pk)).data)

    @extend_schema(request=None, responses={200: ScorecardSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        card = self.get_object()
        tiering.activate(self._user(), card)
        return Response(ScorecardSerializer(self.get_queryset().get(pk=card.pk)).data)


# ---------------------------------------------------------------- customer actions


def scoped_customer(user: User, pk: int, write: bool) -> Customer:
    """404 outside the user's data scope; 403 when visible but the user may not change it."""
    customer = Customer.objects.restrict(user).filter(pk=pk).first()
    if customer is None:
        raise Http404
    if write:
        tiering.ensure_can_change(user, customer)
    return customer


def _result_data(result: tiering.Result) -> dict[str, Any]:
    return {
        "grade": result.grade,
        "tier": result.tier,
        "score": result.score,
        "scorecard_version": result.scorecard_version,
        "explanation": result.explanation,
    }


class _CustomerAction(APIView):
    write = True

    def customer(self, request: Request, pk: int) -> Customer:
        return scoped_customer(request.user, pk, self.write)  # type: ignore[arg-type]


class ComputeTierView(_CustomerAction):
    write = False

    @extend_schema(
        tags=TAGS,
        request=ComputeTierRequestSerializer,
        responses={200: TierPreviewSerializer},
        summary="Preview a customer's tier with its explanation (changes nothing)",
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = self.customer(request, pk)
        ser = ComputeTierRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        card = ser.validated_data.get("scorecard") or tiering.active_scorecard()
        result = tiering.score(customer, card)
        return Response(
            {
                **_result_data(result),
                "current_grade": customer.grade,
                "current_tier": customer.tier,
                "would_change": (customer.grade, customer.tier) != (result.grade, result.tier),
            }
        )


class AssignTierView(_CustomerAction):
    @extend_schema(
        tags=TAGS,
        request=AssignTierRequestSerializer,
        responses={200: AssignTierResponseSerializer},
        summary="Score with the active scorecard and record the tier (no change if the grade is the same)",
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = self.customer(request, pk)
        ser = AssignTierRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        outcome = tiering.assign_tier(
            request.user,  # type: ignore[arg-type]
            customer,
            ser.validated_data["reason"],
            force=ser.validated_data["force"],
        )
        data: dict[str, Any] = {"changed": outcome.changed, "result": _result_data(outcome.result)}
        if outcome.change is not None:
            data["change"] = TierChangeSerializer(outcome.change).data
        return Response(data)


class TierOverrideView(_CustomerAction):
    @extend_schema(
        tags=TAGS,
        request=OverrideRequestSerializer,
        responses={201: TierChangeSerializer},
        summary="Set a grade of the active scorecard by hand, with a reason",
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = self.customer(request, pk)
        ser = OverrideRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        change = tiering.set_tier_manually(
            request.user,  # type: ignore[arg-type]
            customer,
            ser.validated_data["grade"],
            ser.validated_data["reason"],
        )
        return Response(TierChangeSerializer(change).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS, summary="A customer's tier changes, newest first")
class TierHistoryView(ListAPIView[TierChange]):
    serializer_class = TierChangeSerializer

    def get_queryset(self) -> QuerySet[TierChange]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no customer
            return TierChange.objects.none()
        customer = scoped_customer(self.request.user, self.kwargs["pk"], write=False)  # type: ignore[arg-type]
        return TierChange.objects.filter(customer=customer).select_related("actor", "scorecard")


class AssignTeamView(_CustomerAction):
    @extend_schema(
        tags=TAGS,
        request=None,
        responses={200: TeamReportSerializer},
        summary="Fill the empty slots of the tier's service-team template; reports what could not be filled",
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = self.customer(request, pk)
        report = tiering.assign_team(request.user, customer)  # type: ignore[arg-type]
        return Response(TeamReportSerializer(report).data)


class RetierJobView(APIView):
    @extend_schema(
        tags=TAGS,
        request=RetierRequestSerializer,
        responses={202: OpenApiResponse(JobSerializer, description="poll /api/v1/jobs/{id}/ for progress")},
        summary="Re-tier every customer in the caller's scope as a background job",
    )
    def post(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        if not user.can_manage:
            raise PermissionDenied("只有管理人员可以批量重新定级 / managers only")
        ser = RetierRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        job = tiering.retier(
            user, user, ser.validated_data["reason"], include_overridden=ser.validated_data["include_overridden"]
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("scorecards", ScorecardViewSet, basename="scorecard")

urlpatterns = [
    *router.urls,
    path("customers/<int:pk>/compute-tier/", ComputeTierView.as_view(), name="customer-compute-tier"),
    path("customers/<int:pk>/assign-tier/", AssignTierView.as_view(), name="customer-assign-tier"),
    path("customers/<int:pk>/tier-override/", TierOverrideView.as_view(), name="customer-tier-override"),
    path("customers/<int:pk>/tier-history/", TierHistoryView.as_view(), name="customer-tier-history"),
    path("customers/<int:pk>/assign-team/", AssignTeamView.as_view(), name="customer-assign-team"),
    path("retier-jobs/", RetierJobView.as_view(), name="retier-jobs"),
]
