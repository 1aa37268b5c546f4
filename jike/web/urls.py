from django.urls import path

from jike.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/data/", views.dashboard_data, name="dashboard-data"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
]
