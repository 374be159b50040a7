from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CRMConfig(AppConfig):
    name = "voronka.crm"
    verbose_name = _("Contacts and companies")
