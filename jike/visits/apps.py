from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "jike.visits"
    label = "visits"
    verbose_name = "客户拜访"
