from django.urls import path

from jike.gateway import views

app_name = "gateway"
urlpatterns = [
    path("gateway/accounts/", views.account_list, name="accounts"),
    path("gateway/accounts/new/", views.account_create, name="account-create"),
    path("gateway/accounts/<int:pk>/", views.account_detail, name="account"),
    path("gateway/accounts/<int:pk>/status/", views.account_status, name="account-status"),
    path("gateway/accounts/<int:pk>/password/", views.account_password, name="account-password"),
    path("gateway/routes/", views.routes, name="routes"),
    path("gateway/lists/", views.global_lists, name="lists"),
    path("gateway/snapshot.json", views.snapshot_download, name="snapshot"),
]
