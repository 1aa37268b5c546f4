from django.urls import path

from jike.catalog import views

app_name = "catalog"
urlpatterns = [
    path("catalog/", views.product_list, name="list"),
    path("catalog/<int:pk>/", views.product_detail, name="detail"),
    path("catalog/<int:pk>/quote/", views.product_quote, name="quote"),
    path("customers/<int:customer_pk>/holdings/add/", views.holding_add, name="holding-add"),
    path("holdings/<int:pk>/end/", views.holding_end, name="holding-end"),
]
