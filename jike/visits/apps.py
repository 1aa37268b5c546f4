from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "jike.visits"
    label = "visits"
    verbose_name = "客户拜访"

    def ready(self) -> None:
        from jike.visits.views import customer_panel
        from jike.web.registry import register_nav, register_panel

        register_nav(35, "visits:calendar", _("拜访日历"), "calendar")
        register_nav(36, "visits:coverage", _("拜访覆盖"), "checklist")
        register_panel(45, "visits", customer_panel, cached=True)
