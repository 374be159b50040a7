from django.contrib import admin
from django.urls import include, path

from voronka.web.views.assets import favicon

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("voronka.api.urls")),
    path("", include("voronka.capture.urls")),
    path("", include("voronka.imports.urls")),
    path("", include("voronka.forecast.urls")),
    path("", include("voronka.analytics.urls")),
    path("", include("voronka.automation.urls")),
    path("", include("voronka.integrations.urls")),
    path("", include("voronka.notifications.urls")),
    path("", include("voronka.web.urls")),
]
