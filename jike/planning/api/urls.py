from django.urls import path
from rest_framework.routers import DefaultRouter

from jike.planning.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("account-plans", views.AccountPlanViewSet, basename="accountplan")

rows = []
for section, viewset in views.ROW_VIEWSETS.items():
    slug = section.replace("_", "-")
    rows += [
        path(
            f"account-plans/<int:plan_pk>/{slug}/",
            viewset.as_view({"get": "list", "post": "create"}),
            name=f"accountplan-{slug}-list",
        ),
        path(
            f"account-plans/<int:plan_pk>/{slug}/<int:pk>/",
            viewset.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
            name=f"accountplan-{slug}-detail",
        ),
    ]

urlpatterns = [*rows, *router.urls]
