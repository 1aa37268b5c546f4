from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "jike.sales"
    label = "sales"
    verbose_name = "商机与营销"
