from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "jike.web"
    label = "web"

    def ready(self) -> None:
        from jike.web.registry import register_nav

        register_nav(0, "web:home", _("首页"), "home")
