from django.urls import path

from jike.customers import views

app_name = "customers"
urlpatterns = [
    path("customers/", views.customer_list, name="list"),
    path("imports/", views.imports_placeholder, name="imports"),
]
