from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForecastConfig(AppConfig):
    name = "voronka.forecast"
    label = "forecast"
    verbose_name = _("Plans and forecast")
    default_auto_field = "django.db.models.BigAutoField"
