from django.urls import path
from rest_framework.routers import DefaultRouter

from jike.gateway.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("gateway/accounts", views.SmsAccountViewSet, basename="smsaccount")
router.register("gateway/connectors", views.ConnectorViewSet, basename="gatewayconnector")
router.register("gateway/routes", views.RouteViewSet, basename="gatewayroute")
router.register("gateway/global-lists", views.GlobalListViewSet, basename="gatewaylist")

urlpatterns = [
    path("gateway/snapshot/", views.SnapshotView.as_view(), name="gateway-snapshot"),
    path("gateway/charges/", views.ChargeListView.as_view(), name="gateway-charges"),
    *router.urls,
]
