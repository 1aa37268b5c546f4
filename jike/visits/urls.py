from django.urls import path

from jike.visits import views

app_name = "visits"
urlpatterns = [
    path("visits/calendar/", views.calendar_view, name="calendar"),
    path("visits/coverage/", views.coverage_view, name="coverage"),
    path("visits/customers/<int:customer_pk>/plan/", views.plan_new, name="plan-new"),
    path("visits/customers/<int:customer_pk>/log/", views.log_new, name="log-new"),
]
