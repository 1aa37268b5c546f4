from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from jike.core.api.auth import ObtainTokenView

api_v1: list[URLPattern | URLResolver] = [
    path("auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("", include("jike.core.api.urls")),
    path("", include("jike.customers.api.urls")),
    path("", include("jike.customers.api.imports")),
    path("", include("jike.customers.api.tiering")),
    path("", include("jike.catalog.api.urls")),
    path("", include("jike.sales.api.urls")),
    path("", include("jike.planning.api.urls")),
    path("", include("jike.visits.api.urls")),
    path("", include("jike.gateway.api.urls")),
]

urlpatterns = [
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("jike.web.urls")),
    path("", include("jike.customers.urls")),
    path("", include(("jike.customers.urls_imports", "imports"), namespace="imports")),
    path("", include(("jike.customers.urls_tiering", "tiering"), namespace="tiering")),
    path("", include("jike.catalog.urls")),
    path("", include("jike.sales.urls")),
    path("", include("jike.planning.urls")),
    path("", include("jike.visits.urls")),
    path("", include("jike.gateway.urls")),
]
# Uploaded files (imports with members' numbers) are never served as media: only through views
# that check scope and log the download.
