from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "jike.sales"
    label = "sales"
    verbose_name = "商机与营销"

    def ready(self) -> None:
        from jike.sales.views import customer_panel
        from jike.web.registry import register_nav, register_panel

        register_nav(30, "sales:board", _("商机看板"), "layout-kanban")
        register_nav(31, "sales:forecast", _("收入预测"), "chart-bar")
        register_nav(32, "sales:campaigns", _("营销活动"), "speakerphone")
        register_panel(40, "opportunities", customer_panel, cached=True)
