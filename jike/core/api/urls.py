from django.urls import path
from rest_framework.routers import DefaultRouter

from jike.core.api import views

router = DefaultRouter(trailing_slash=True)
router.register("org-units", views.OrgUnitViewSet, basename="orgunit")
router.register("staff", views.StaffViewSet, basename="staff")
router.register("jobs", views.JobViewSet, basename="job")

urlpatterns = [path("me/", views.MeView.as_view(), name="me"), *router.urls]
