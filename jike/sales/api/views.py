"""Opportunity and campaign REST API: thin views, scope through restrict(), writes through services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from jike.core.http import staff as _user
from jike.core.models import User
from jike.sales import cache as pipeline_cache
from jike.sales import campaigns, reports, services
from jike.sales.api.serializers import (
    ApproveSerializer,
    BoardSerializer,
    CampaignResultsSerializer,
    CampaignSerializer,
    CompetitorSerializer,
    ForecastSerializer,
    HistorySerializer,
    InfluencerSerializer,
    MoveStageSerializer,
    NextStepSerializer,
    OpportunitySerializer,
    PositionChangeSerializer,
    PositionSerializer,
    StageRuleSerializer,
)
from jike.sales.filtersets import CampaignFilterSet, OpportunityFilterSet
from jike.sales.models import (
    Campaign,
    Competitor,
    Influencer,
    NextStep,
    Opportunity,
    OpportunityProduct,
    StageRule,
)

GROUP_PARAM = OpenApiParameter("group_by", str, enum=list(reports.GROUPS), default="month")


def _lines(data: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    return None if data is None else [dict(row) for row in data]


def opportunity_queryset(user: User) -> QuerySet[Opportunity]:
    return (
        reports.with_stale(Opportunity.objects.restrict(user))
        .select_related("customer", "owner")
        .prefetch_related(
            Prefetch("lines", queryset=OpportunityProduct.objects.select_related("product")), "team", "competitors"
        )
    )


@extend_schema_view(
    list=extend_schema(summary="Opportunities in your data scope"),
    retrieve=extend_schema(summary="One opportunity"),
    create=extend_schema(summary="Register an opportunity"),
    partial_update=extend_schema(summary="Edit an open opportunity (not its stage or position)"),
    update=extend_schema(summary="Edit an open opportunity"),
)
@extend_schema(tags=["opportunities"])
class OpportunityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Opportunity],
):
    queryset = Opportunity.objects.none()
    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilterSet

    def get_queryset(self) -> QuerySet[Opportunity]:
        return opportunity_queryset(_user(self.request)).order_by("-updated_at", "-id")

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        customer = data.pop("customer")
        data["lines"] = _lines(data.pop("lines", None)) or []
        serializer.instance = services.create_opportunity(_user(self.request), customer, **data)

    def perform_update(self, serializer: Any) -> None:
        user = _user(self.request)
        data = dict(serializer.validated_data)
        lines = _lines(data.pop("lines", None))
        team = data.pop("team", None)
        comps = data.pop("competitors", None)
        opp = services.update_opportunity(user, serializer.instance, **data)
        if lines is not None:
            services.set_lines(user, opp, lines)
        if team is not None or comps is not None:
            services.set_team(user, opp, team if team is not None else list(opp.team.all()), comps)
        serializer.instance = opportunity_queryset(user).get(pk=opp.pk)

    def _reply(self, opp: Opportunity, code: int = status.HTTP_200_OK) -> Response:
        fresh = opportunity_queryset(_user(self.request)).get(pk=opp.pk)
        return Response(OpportunitySerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=MoveStageSerializer, responses={200: OpportunitySerializer}, summary="Move to a stage")
    @action(detail=True, methods=["post"], url_path="move-stage")
    def move_stage(self, request: Request, pk: str | None = None) -> Response:
        opp = self.get_object()
        ser = MoveStageSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        services.move_stage(
            _user(request), opp, v["stage"], lost_reason=v["lost_reason"], note=v["note"], probability=v["probability"]
        )
        return self._reply(opp)

    @extend_schema(
        request=PositionSerializer, responses={201: PositionChangeSerializer}, summary="Record our position (-5..+5)"
    )
    @action(detail=True, methods=["post"])
    def position(self, request: Request, pk: str | None = None) -> Response:
        opp = self.get_object()
        ser = PositionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        change = services.update_position(
            _user(request), opp, v["position"], competitor=v["competitor"], note=v["note"]
        )
        return Response(PositionChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: HistorySerializer}, summary="Stage and position history")
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        opp = self.get_object()
        data = {
            "stages": opp.stage_history.select_related("actor").all(),
            "positions": opp.position_history.select_related("actor", "competitor").all(),
        }
        return Response(HistorySerializer(data).data)

    @extend_schema(
        methods=["get"], responses={200: InfluencerSerializer(many=True)}, summary="Key influencers of the deal"
    )
    @extend_schema(
        methods=["post"], request=InfluencerSerializer, responses={201: InfluencerSerializer}, summary="Add one"
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def influencers(self, request: Request, pk: str | None = None) -> Response:
        opp = self.get_object()
        ctx = self.get_serializer_context()
        if request.method == "GET":
            rows = opp.influencers.select_related("key_person").prefetch_related("key_person__attitude_history")
            return Response(InfluencerSerializer(rows, many=True, context=ctx).data)
        ser = InfluencerSerializer(data=request.data, context=ctx)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        inf = services.add_influencer(
            _user(request), opp, v["key_person"], deal_role=v["deal_role"], note=v.get("note", "")
        )
        if v.get("attitude"):
            inf = services.update_influencer(_user(request), inf, attitude=v["attitude"])
        return Response(InfluencerSerializer(inf, context=ctx).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], responses={200: NextStepSerializer(many=True)}, summary="Next steps")
    @extend_schema(methods=["post"], request=NextStepSerializer, responses={201: NextStepSerializer}, summary="Add one")
    @action(detail=True, methods=["get", "post"], url_path="next-steps", pagination_class=None)
    def next_steps(self, request: Request, pk: str | None = None) -> Response:
        opp = self.get_object()
        if request.method == "GET":
            return Response(NextStepSerializer(opp.next_steps.select_related("owner"), many=True).data)
        ser = NextStepSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        step = services.add_next_step(
            _user(request), opp, action=v["action"], due_date=v["due_date"], owner=v.get("owner")
        )
        return Response(NextStepSerializer(step).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: BoardSerializer}, summary="Pipeline board: per stage totals and top cards")
    @action(detail=False, methods=["get"])
    def board(self, request: Request) -> Response:
        user = _user(request)
        qs = self.filter_queryset(Opportunity.objects.restrict(user))
        data = pipeline_cache.cached(
            "board-api", user, request.query_params, lambda: BoardSerializer({"columns": reports.board(qs)}).data
        )
        return Response(data)

    @extend_schema(parameters=[GROUP_PARAM], responses={200: ForecastSerializer}, summary="Weighted forecast")
    @action(detail=False, methods=["get"])
    def forecast(self, request: Request) -> Response:
        group_by = request.query_params.get("group_by", "month")
        if group_by not in reports.GROUPS:
            raise ValidationError({"group_by": f"one of {', '.join(reports.GROUPS)}"})
        user = _user(request)
        qs = self.filter_queryset(Opportunity.objects.restrict(user))
        rows = pipeline_cache.cached("forecast", user, request.query_params, lambda: reports.forecast(qs, group_by))
        data = {
            "group_by": group_by,
            "rows": rows,
            "total_count": sum(r["count"] for r in rows),
            "total_amount": sum((r["amount"] for r in rows), Decimal(0)),
            "total_weighted": sum((r["weighted"] for r in rows), Decimal(0)),
        }
        return Response(ForecastSerializer(data).data)


@extend_schema(tags=["opportunities"])
class InfluencerViewSet(
    mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet[Influencer]
):
    """One influencer: change the deal role, or record a new attitude (written to the key person's file)."""

    queryset = Influencer.objects.none()
    serializer_class = InfluencerSerializer

    def get_queryset(self) -> QuerySet[Influencer]:
        return (
            Influencer.objects.restrict(_user(self.request))
            .select_related("key_person", "opportunity")
            .prefetch_related("key_person__attitude_history")
        )

    def perform_update(self, serializer: Any) -> None:
        v = serializer.validated_data
        serializer.instance = services.update_influencer(
            _user(self.request),
            serializer.instance,
            attitude=v.get("attitude"),
            deal_role=v.get("deal_role"),
            note=v.get("note", ""),
        )

    def perform_destroy(self, instance: Influencer) -> None:
        services.remove_influencer(_user(self.request), instance)


@extend_schema(tags=["opportunities"])
class NextStepViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet[NextStep]):
    """One next step; PATCH {"done": true} completes it."""

    queryset = NextStep.objects.none()
    serializer_class = NextStepSerializer

    def get_queryset(self) -> QuerySet[NextStep]:
        return NextStep.objects.restrict(_user(self.request)).select_related("owner", "opportunity")

    def perform_update(self, serializer: Any) -> None:
        v = serializer.validated_data
        if set(v) - {"done"}:
            raise ValidationError({"done": "只能修改完成状态 / only `done` can be changed"})
        serializer.instance = services.complete_next_step(_user(self.request), serializer.instance, v.get("done", True))


@extend_schema(tags=["opportunities"])
class CompetitorViewSet(viewsets.ReadOnlyModelViewSet[Competitor]):
    queryset = Competitor.objects.all()
    serializer_class = CompetitorSerializer
    pagination_class = None


@extend_schema(tags=["opportunities"])
class StageRuleViewSet(viewsets.ReadOnlyModelViewSet[StageRule]):
    """Default probability and stale threshold per stage (data the province edits)."""

    queryset = StageRule.objects.all()
    serializer_class = StageRuleSerializer
    pagination_class = None
    lookup_field = "stage"


@extend_schema_view(
    list=extend_schema(summary="Campaigns: your unit's, those below it and the themes above it"),
    create=extend_schema(summary="Create a campaign (province theme or city campaign)"),
)
@extend_schema(tags=["campaigns"])
class CampaignViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Campaign],
):
    queryset = Campaign.objects.none()
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilterSet

    def get_queryset(self) -> QuerySet[Campaign]:
        return Campaign.objects.restrict(_user(self.request)).select_related("org_unit")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = campaigns.create_campaign(_user(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = campaigns.update_campaign(
            _user(self.request), serializer.instance, **serializer.validated_data
        )

    def _do(self, fn: Any, *args: Any) -> Response:
        campaign = self.get_object()
        result = fn(_user(self.request), campaign, *args)
        return Response(CampaignSerializer(result, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: CampaignSerializer}, summary="Submit for approval")
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._do(campaigns.submit_campaign)

    @extend_schema(request=ApproveSerializer, responses={200: CampaignSerializer}, summary="Approve or send back")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        ser = ApproveSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        campaign = self.get_object()
        result = campaigns.approve_campaign(
            _user(request), campaign, ser.validated_data["note"], ser.validated_data["approve"]
        )
        return Response(CampaignSerializer(result, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: CampaignSerializer}, summary="Start running")
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        return self._do(campaigns.start_campaign)

    @extend_schema(request=None, responses={200: CampaignSerializer}, summary="Close")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._do(campaigns.close_campaign)

    @extend_schema(responses={200: CampaignResultsSerializer}, summary="Opportunities and won revenue it produced")
    @action(detail=True, methods=["get"])
    def results(self, request: Request, pk: str | None = None) -> Response:
        campaign = self.get_object()
        return Response(CampaignResultsSerializer(campaigns.campaign_results(_user(request), campaign)).data)
