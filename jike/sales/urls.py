from django.urls import path

from jike.sales import views

app_name = "sales"
urlpatterns = [
    path("sales/board/", views.board, name="board"),
    path("sales/forecast/", views.forecast, name="forecast"),
    path("sales/opportunities/new/", views.opportunity_new, name="new"),
    path("sales/opportunities/<int:pk>/", views.detail, name="detail"),
    path("sales/opportunities/<int:pk>/move/", views.move, name="move"),
    path("sales/opportunities/<int:pk>/<str:what>/", views.detail_action, name="action"),
    path("sales/influencers/<int:pk>/attitude/", views.influencer_attitude, name="influencer-attitude"),
    path("sales/next-steps/<int:pk>/done/", views.step_done, name="step-done"),
    path("sales/campaigns/", views.campaign_list, name="campaigns"),
    path("sales/campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
]
