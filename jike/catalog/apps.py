from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "jike.catalog"
    label = "catalog"
    verbose_name = "产品目录"

    def ready(self) -> None:
        from jike.catalog.views import holdings_panel
        from jike.web.registry import register_nav, register_panel

        register_nav(40, "catalog:list", _("产品目录"), "package")
        register_panel(20, "holdings", holdings_panel, cached=True)
