from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "jike.web"
    label = "web"
