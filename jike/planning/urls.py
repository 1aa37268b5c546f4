from django.urls import path

from jike.planning import views

app_name = "planning"
urlpatterns = [
    path("plans/", views.plan_list, name="list"),
    path("customers/<int:customer_pk>/plans/new/", views.plan_create, name="create"),
    path("plans/<int:pk>/", views.plan_detail, name="detail"),
    path("plans/<int:pk>/text/<int:step>/", views.plan_text, name="text"),
    path("plans/<int:pk>/rows/<str:section>/add/", views.row_add, name="row-add"),
    path("plans/<int:pk>/rows/<str:section>/<int:row_pk>/edit/", views.row_edit, name="row-edit"),
    path("plans/<int:pk>/rows/<str:section>/<int:row_pk>/delete/", views.row_delete, name="row-delete"),
    path("plans/<int:pk>/export.<str:fmt>", views.plan_export, name="export"),
    path("plans/<int:pk>/<str:what>/", views.plan_action, name="action"),
]
