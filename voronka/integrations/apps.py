from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "voronka.integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from voronka.core import events

        from .payloads import listens, on_event

        events.subscribe(on_event, probe=listens)
