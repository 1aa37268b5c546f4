"""API of imports: /api/v1/imports/ (upload, status with progress, rejects, rejects CSV)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from jike.core.models import ExportLog
from jike.customers import importers
from jike.customers.importers.report import shown_value, write_rejects_csv
from jike.customers.models import ImportJob, ImportKind, ImportMode, ImportReject


class CanImport(permissions.BasePermission):
    message = "只有管理人员可以导入数据 / only managers may import"

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and getattr(request.user, "can_manage", False))


class ImportJobSerializer(serializers.ModelSerializer[ImportJob]):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id", "kind", "mode", "dry_run", "original_name", "encoding", "mapping", "status", "total_rows",
            "processed_rows", "percent", "created_count", "updated_count", "unchanged_count", "rejected_count",
            "error", "created_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class ImportCreateSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="CSV (UTF-8, GBK/GB18030) or XLSX")
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    mode = serializers.ChoiceField(choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING)
    dry_run = serializers.BooleanField(default=False)
    mapping = serializers.JSONField(
        required=False, default=dict, help_text='{"file header": "field name"}; "" ignores a column'
    )


class ImportRejectSerializer(serializers.ModelSerializer[ImportReject]):
    value = serializers.SerializerMethodField(method_name="masked_value")

    class Meta:
        model = ImportReject
        fields = ["row_number", "column", "value", "reason"]

    def masked_value(self, obj: ImportReject) -> str:
        return shown_value(self.context["request"].user, obj.job, obj)


@extend_schema_view(
    list=extend_schema(summary="Your import jobs, newest first"),
    retrieve=extend_schema(summary="One import job with its progress and counts"),
)
@extend_schema(tags=["imports"])
class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ImportJob]):
    """Imports of operator exports. Only managers (admin, province, city, county) may import; each
    sees his own jobs. Rows for customers outside the importer's data scope are rejected."""

    serializer_class = ImportJobSerializer
    permission_classes = [permissions.IsAuthenticated, CanImport]

    def get_queryset(self) -> QuerySet[ImportJob]:
        if getattr(self, "swagger_fake_view", False):
            return ImportJob.objects.none()
        return ImportJob.objects.filter(created_by_id=self.request.user.pk).order_by("-created_at", "-id")

    @extend_schema(
        summary="Upload a file and start an import",
        request={"multipart/form-data": ImportCreateSerializer},
        responses={201: ImportJobSerializer},
    )
    def create(self, request: Request) -> Response:
        ser = ImportCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        job = importers.create_job(
            request.user,  # type: ignore[arg-type]
            data["kind"],
            data["file"],
            mode=data["mode"],
            dry_run=data["dry_run"],
            mapping=data["mapping"],
        )
        job = importers.start(job)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rejected rows of a job (row number, column, value, reason)",
        responses=ImportRejectSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def rejects(self, request: Request, pk: str | None = None) -> Response:
        job = self.get_object()
        qs = ImportReject.objects.filter(job=job).select_related("job").order_by("row_number", "id")
        page = self.paginate_queryset(qs)  # type: ignore[arg-type]
        assert page is not None
        return self.get_paginated_response(ImportRejectSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Rejected rows as a CSV file (UTF-8 with BOM, opens in Excel)",
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    @action(detail=True, methods=["get"], url_path="rejects/download", url_name="rejects-download")
    def rejects_csv(self, request: Request, pk: str | None = None) -> StreamingHttpResponse:
        job = self.get_object()
        return rejects_download(request.user, job)


def rejects_download(user: Any, job: ImportJob) -> StreamingHttpResponse:
    """Shared by API and UI; every download is logged (rejects may hold members' numbers)."""
    ExportLog.objects.create(
        actor=user,
        what="import_rejects",
        format="csv",
        filters={"job": job.pk},
        rows=job.rejects.count(),
        pii_unmasked=bool(getattr(user, "sees_pii", False)) and job.kind == ImportKind.MEMBERS,
    )
    response = StreamingHttpResponse(write_rejects_csv(job, user), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-rejects.csv"'
    return response


router = SimpleRouter(trailing_slash=True)
router.register("imports", ImportJobViewSet, basename="import")
urlpatterns = [*router.urls]
