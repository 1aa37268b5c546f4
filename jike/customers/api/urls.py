from rest_framework.routers import DefaultRouter

from jike.customers.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("members", views.MemberViewSet, basename="member")
router.register("key-persons", views.KeyPersonViewSet, basename="keyperson")
urlpatterns = [*router.urls]
