from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "jike.gateway"
    label = "gateway"
    verbose_name = "行业网关"
