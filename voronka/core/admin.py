"""The audit trail in the admin: read-only, filtered, scoped to what the user may see."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from voronka.crm.selectors import company_list, contact_list
from voronka.deals.selectors import deal_list

from .admin_base import ReadOnlyAdmin
from .models import FieldChange

# Until the web UI lands, this is the product's screen: name it so.
admin.site.site_header = gettext_lazy("Voronka")
admin.site.site_title = gettext_lazy("Voronka")
admin.site.index_title = gettext_lazy("Sales funnel")

ADMIN_URLS = {"deal": "admin:deals_deal_change", "contact": "admin:crm_contact_change",
              "company": "admin:crm_company_change"}


@admin.register(FieldChange)
class FieldChangeAdmin(ReadOnlyAdmin):
    list_display = ("changed_at", "entity", "object_link", "field", "old_value", "new_value",
                    "changed_by")
    list_filter = ("entity", ("changed_by", admin.RelatedOnlyFieldListFilter), "changed_at")
    search_fields = ("field", "old_value", "new_value")
    date_hierarchy = "changed_at"
    ordering = ("-changed_at", "-id")
    list_select_related = ("changed_by",)

    def scoped_queryset(self, request):
        user = request.user
        if user.is_admin:
            return FieldChange.objects.all()
        return FieldChange.objects.filter(
            Q(entity=FieldChange.Entity.DEAL, object_id__in=deal_list(user=user).values("pk"))
            | Q(entity=FieldChange.Entity.CONTACT,
                object_id__in=contact_list(user=user).values("pk"))
            | Q(entity=FieldChange.Entity.COMPANY,
                object_id__in=company_list(user=user).values("pk")))

    @admin.display(description=gettext_lazy("object"), ordering="object_id")
    def object_link(self, obj: FieldChange) -> str:
        try:
            url = reverse(ADMIN_URLS[obj.entity], args=[obj.object_id])
        except (KeyError, NoReverseMatch):
            return str(obj.object_id)
        return format_html('<a href="{}">#{}</a>', url, obj.object_id)
