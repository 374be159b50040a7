"""Capture channels are set up here (saves go through the services); captures are read."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from voronka.core.errors import ServiceError, ValidationError

from .models import Capture, Channel
from .services import channel_create, channel_update, channel_validate, default_fields

EDITABLE = ("name", "kind", "pipeline", "is_active", "fields", "mapping", "distribution",
            "members", "source", "task_due_minutes", "success_url")


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = EDITABLE

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if self.instance.pk is None and not data.get("fields"):
            # The empty JSON box of a new channel: the usual fields of its kind.
            data["fields"] = default_fields(data.get("kind"))
        probe = Channel(pk=self.instance.pk, key=self.instance.key or "-",
                        **{k: v for k, v in data.items() if k != "members"})
        try:
            channel_validate(probe, list(data.get("members") or []))
        except ValidationError as exc:
            raise DjangoValidationError({
                (name.split(".")[0] if name.split(".")[0] in self.fields else None):
                    f"{name}: {' '.join(msgs)}" for name, msgs in exc.errors.items()}) from exc
        return data


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ("name", "kind", "pipeline", "distribution", "is_active", "screen")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    readonly_fields = ("key", "last_assigned", "created_at")
    filter_horizontal = ("members",)

    @admin.display(description=_("Addresses and snippet"))
    def screen(self, obj: Channel) -> str:
        return format_html('<a href="{}">{}</a>', reverse("capture:channel", args=[obj.pk]),
                           _("open"))

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in EDITABLE if k not in ("kind", "members")}
        members = list(form.cleaned_data.get("members") or [])
        try:
            if change:
                saved = channel_update(channel=Channel.objects.get(pk=obj.pk),
                                       actor=request.user, members=members, **data)
            else:
                saved = channel_create(actor=request.user, kind=form.cleaned_data["kind"],
                                       members=members, **data)
        except ServiceError as exc:
            raise DjangoValidationError(str(exc)) from exc
        obj.pk, obj.key = saved.pk, saved.key

    def save_related(self, request, form, formsets, change):
        # Members were saved by the service.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(Capture)
class CaptureAdmin(admin.ModelAdmin):
    list_display = ("received_at", "channel", "outcome", "provider_id", "deal", "ip")
    list_filter = ("outcome", "channel")
    search_fields = ("provider_id",)
    readonly_fields = [f.name for f in Capture._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
