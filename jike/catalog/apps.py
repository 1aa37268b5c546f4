from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "jike.catalog"
    label = "catalog"
    verbose_name = "产品目录"
