from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "jike.customers"
    label = "customers"
    verbose_name = "集团客户"

    def ready(self) -> None:
        from jike.web.registry import register_nav

        register_nav(10, "customers:list", _("集团客户"), "building")
        register_nav(50, "tiering:scorecards", _("分级评分卡"), "stairs")
        register_nav(60, "imports:index", _("数据导入"), "upload", visible=lambda u: getattr(u, "can_manage", False))
