from django.urls import path

from jike.customers import views

app_name = "customers"
urlpatterns = [
    path("customers/", views.customer_list, name="list"),
    path("customers/export.xlsx", views.customer_export, name="export"),
    path("customers/<int:pk>/", views.customer_detail, name="detail"),
    path("customers/<int:pk>/members/", views.customer_members, name="members"),
    path("customers/<int:pk>/panels/", views.customer_panels, name="panels"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="edit"),
    path("customers/<int:pk>/key-persons/add/", views.key_person_add, name="key-person-add"),
    path("customers/<int:pk>/key-persons/<int:person_pk>/edit/", views.key_person_edit, name="key-person-edit"),
    path("customers/<int:pk>/members/add/", views.member_add, name="member-add"),
    path("customers/<int:pk>/events/add/", views.key_event_add, name="event-add"),
]
