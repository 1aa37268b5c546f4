from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "jike.planning"
    label = "planning"
    verbose_name = "客户规划"
