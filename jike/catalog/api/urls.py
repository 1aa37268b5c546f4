from django.urls import path
from rest_framework.routers import DefaultRouter

from jike.catalog.api import views

router = DefaultRouter(trailing_slash=True)
router.register("products", views.ProductViewSet, basename="product")
router.register("holdings", views.HoldingViewSet, basename="holding")

urlpatterns = [
    path("customers/<int:pk>/holdings-rollup/", views.HoldingsRollupView.as_view(), name="customer-holdings-rollup"),
    *router.urls,
]
