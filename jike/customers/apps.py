from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "jike.customers"
    label = "customers"
    verbose_name = "集团客户"
