"""Tiering screens, included at the site root under the "tiering" namespace."""

from django.urls import path

from jike.customers import views_tiering as views

urlpatterns = [
    path("tiering/scorecards/", views.scorecard_list, name="scorecards"),
    path("tiering/scorecards/new/", views.scorecard_create, name="scorecard-create"),
    path("tiering/scorecards/<int:pk>/", views.scorecard_detail, name="scorecard"),
    path("tiering/scorecards/<int:pk>/activate/", views.scorecard_activate, name="scorecard-activate"),
    path("tiering/retier/", views.retier, name="retier"),
    path("tiering/retier/jobs/<int:pk>/", views.retier_progress, name="retier-progress"),
    path("tiering/customers/<int:pk>/panel/", views.customer_panel, name="customer-panel"),
    path("tiering/customers/<int:pk>/recompute/", views.customer_recompute, name="customer-recompute"),
    path("tiering/customers/<int:pk>/assign-team/", views.customer_assign_team, name="customer-assign-team"),
]
