from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "jike.planning"
    label = "planning"
    verbose_name = "客户规划"

    def ready(self) -> None:
        from jike.planning.views import current_plan_panel
        from jike.web.registry import register_nav, register_panel

        register_nav(50, "planning:list", _("客户规划"), "map")
        register_panel(30, "account_plan", current_plan_panel, cached=True)
