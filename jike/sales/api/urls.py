from rest_framework.routers import DefaultRouter

from jike.sales.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("opportunities", views.OpportunityViewSet, basename="opportunity")
router.register("opportunity-influencers", views.InfluencerViewSet, basename="influencer")
router.register("opportunity-next-steps", views.NextStepViewSet, basename="nextstep")
router.register("competitors", views.CompetitorViewSet, basename="competitor")
router.register("stage-rules", views.StageRuleViewSet, basename="stagerule")
router.register("campaigns", views.CampaignViewSet, basename="campaign")

urlpatterns = router.urls
