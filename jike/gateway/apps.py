from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GatewayConfig(AppConfig):
    name = "jike.gateway"
    label = "gateway"
    verbose_name = "行业网关"

    def ready(self) -> None:
        from jike.gateway.views import customer_panel
        from jike.web.registry import register_nav, register_panel

        register_nav(45, "gateway:accounts", _("短信账号"), "message")
        register_panel(25, "sms", customer_panel)
