from __future__ import annotations

from typing import Any

from rest_framework import serializers

from jike.core.models import Job, OrgUnit, User


class OrgUnitSerializer(serializers.ModelSerializer[OrgUnit]):
    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "name_en", "level", "parent", "path"]


class StaffSerializer(serializers.ModelSerializer[User]):
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True, default="")

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "role", "org_unit", "org_unit_name"]


class MeSerializer(StaffSerializer):
    scope = serializers.CharField(read_only=True)
    sees_pii = serializers.BooleanField(read_only=True)
    can_write = serializers.BooleanField(read_only=True)

    class Meta(StaffSerializer.Meta):
        fields = [*StaffSerializer.Meta.fields, "scope", "sees_pii", "can_write"]


class JobSerializer(serializers.ModelSerializer[Job]):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "params",
            "total",
            "done",
            "percent",
            "result",
            "error",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Job) -> dict[str, Any]:
        return super().to_representation(instance)
