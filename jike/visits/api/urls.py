from django.urls import path
from rest_framework.routers import DefaultRouter

from jike.visits.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("visit-plans", views.VisitPlanViewSet, basename="visitplan")
router.register("visit-logs", views.VisitLogViewSet, basename="visitlog")
router.register("visit-follow-ups", views.FollowUpViewSet, basename="followup")
router.register("visit-norms", views.VisitNormViewSet, basename="visitnorm")

urlpatterns = [
    path("visits/overdue/", views.OverdueView.as_view(), name="visits-overdue"),
    path("visits/coverage/", views.CoverageView.as_view(), name="visits-coverage"),
    *router.urls,
]
