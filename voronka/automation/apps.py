from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "voronka.automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        from voronka.core import events

        from .handlers import listens, on_event

        events.subscribe(on_event, probe=listens)
