from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jike.core"
    label = "core"
    verbose_name = "核心"
