from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "voronka.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from .sqlite import install

        connection_created.connect(install, dispatch_uid="voronka.core.sqlite.like")
