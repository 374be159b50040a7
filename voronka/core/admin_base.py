"""The admin's plumbing. Until the web UI lands the Django admin is the UI, so it is one more
door that obeys the rules: a save parses the form, calls a service and shows the service's
refusal on the form; lists and objects come from the scoped selectors.

Django's admin writes with ``form.save()`` and ``obj.save()``. Here those write nothing:
``ServiceForm.clean()`` runs the admin's ``perform_add``/``perform_change`` (a service call)
and ``save_form`` hands back what the service returned. Inline rows are saved the same way
from their formset's ``clean()``. If any form on the page still has an error after the
services ran, the whole save is rolled back, so a page shown again with errors changed
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import construct_change_message, unquote
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import router, transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.errors import (
    GateRefused,
    MoveRefused,
    NotFound,
    ServiceError,
    ValidationError,
)


# --- who may write ------------------------------------------------------------------------
def is_writer(user) -> bool:
    """Everyone but marketers works with deals, contacts and activities (marketers read)."""
    return bool(user.is_staff and user.can_write)


# --- service refusals as form errors --------------------------------------------------------
def service_messages(exc: ServiceError) -> dict[str | None, list[str]]:
    """A refusal as {field name or None: messages in the active language}."""
    if isinstance(exc, ValidationError):
        return dict(exc.errors)
    if isinstance(exc, NotFound):
        return {None: [_("The object no longer exists or you may not see it.")]}
    found = [exc.message] if exc.message else []
    if isinstance(exc, GateRefused):
        lang = (translation.get_language() or "en")[:2]
        found += [m.message.get(lang) or m.message.get("en") or m.code for m in exc.missing]
    return {None: found or [_("The action was refused.")]}


def flat_messages(exc: ServiceError) -> list[str]:
    return [msg if name is None else f"{name}: {msg}"
            for name, msgs in service_messages(exc).items() for msg in msgs]


def _target(form: forms.BaseForm, name: str, aliases: dict[str, str]) -> str | None:
    name = aliases.get(name, name)
    if name in form.fields:
        return name
    head, _dot, tail = name.partition(".")
    if head == "custom_fields" and f"cf_{tail}" in form.fields:
        return f"cf_{tail}"
    if head in form.fields:  # "phones.2" → the phones field
        return head
    return None


def apply_service_error(form: forms.BaseForm, exc: ServiceError, *, field: str | None = None,
                        aliases: dict[str, str] | None = None) -> None:
    """Put a refusal on the form: named fields on their fields, a refused move or missing
    facts on ``field`` (the stage select), everything else above the form."""
    aliases = aliases or {}
    for name, msgs in service_messages(exc).items():
        if name is None:
            moving = isinstance(exc, GateRefused | MoveRefused)
            target = field if moving and field in form.fields else None
        else:
            target = _target(form, name, aliases)
        for msg in msgs:
            shown = msg if target is not None or name is None else f"{name}: {msg}"
            form.add_error(target, shown)


def attempt(form: forms.BaseForm, call: Callable[[], Any], *, field: str | None = None,
            aliases: dict[str, str] | None = None) -> tuple[bool, Any]:
    """Run one service call in a savepoint; a refusal becomes errors on ``form``."""
    try:
        with transaction.atomic():
            return True, call()
    except ServiceError as exc:
        apply_service_error(form, exc, field=field, aliases=aliases)
        return False, None


def lines(text: str | None) -> list[str]:
    """A textarea of one value per line (commas and semicolons also split)."""
    out: list[str] = []
    for line in (text or "").replace(";", "\n").replace(",", "\n").splitlines():
        if line.strip():
            out.append(line.strip())
    return out


# --- forms that never write by themselves ---------------------------------------------------
class ServiceForm(forms.ModelForm):
    """A ModelForm whose save is a service call made from ``clean()`` (bound by the admin)."""

    request: HttpRequest | None = None
    result: Any = None

    def _perform(self) -> Any:  # replaced per request by ServiceModelAdmin.get_form
        return None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors:
            self.result = self._perform()
        return cleaned

    def _post_clean(self) -> None:
        # No model validation and no copying into the instance: the service validates and
        # writes, and the instance keeps the state read from the database for the page.
        return None


class ServiceInlineForm(forms.ModelForm):
    def _post_clean(self) -> None:
        return None


class ServiceModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose list is a selector and whose saves are services."""

    form = ServiceForm
    # Where a refused move / missing facts go, and service field names → form field names.
    service_error_field: str | None = None
    service_field_aliases: dict[str, str] = {}

    # -- reads
    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = self.scoped_queryset(request)
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        # Not visible and not existing answer the same: 404 (never a hint that it exists).
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("Not found."))
        return obj

    # -- permissions: roles decide, not Django's per-model permission table
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_writer(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_writer(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # history is never deleted from the admin

    # -- writes
    def perform_add(self, request: HttpRequest, form: forms.Form) -> Model:
        raise NotImplementedError

    def perform_change(self, request: HttpRequest, obj: Model, form: forms.Form) -> Model:
        raise NotImplementedError

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False,
                 **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        def perform(bound: forms.Form) -> Any:
            call = ((lambda: model_admin.perform_add(request, bound)) if obj is None
                    else (lambda: model_admin.perform_change(request, obj, bound)))
            return attempt(bound, call, field=model_admin.service_error_field,
                           aliases=model_admin.service_field_aliases)[1]

        return type(form.__name__, (form,), {"request": request, "_perform": perform})

    def save_form(self, request: HttpRequest, form: forms.Form, change: bool) -> Model:
        return form.result

    def save_model(self, request, obj, form, change) -> None:
        """The service already saved it."""

    def save_related(self, request, form, formsets, change) -> None:
        """Inline rows were saved by their services while the formsets were cleaned."""

    def construct_change_message(self, request, form, formsets, add):
        return construct_change_message(form, [], add)

    refusal_message = gettext_lazy("Your role does not allow this change.")

    def changeform_view(self, request: HttpRequest, object_id: str | None = None,
                        form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        try:
            if request.method != "POST":
                return super().changeform_view(request, object_id, form_url, extra_context)
            with transaction.atomic(using=router.db_for_write(self.model)):
                response = super().changeform_view(request, object_id, form_url,
                                                   extra_context)
                context = getattr(response, "context_data", None) or {}
                if context.get("errors"):
                    # The page comes back with errors: undo what any service wrote in this
                    # save.
                    transaction.set_rollback(True)
            return response
        except DjangoPermissionDenied:
            # Django's bare 403 page says nothing; say which rule refused.
            return self.forbidden(request, str(self.refusal_message))

    # -- buttons on a change page that open a small form and call one service
    def change_url(self, obj: Model) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                       args=[obj.pk])

    def forbidden(self, request: HttpRequest, message: str) -> HttpResponse:
        context = {**self.admin_site.each_context(request), "title": _("Not allowed"),
                   "message": message, "opts": self.opts}
        return TemplateResponse(request, "admin/voronka/forbidden.html", context, status=403)

    def action_view(self, request: HttpRequest, object_id: str, *,
                    make_form: Callable[[Model, Any], forms.Form],
                    perform: Callable[[Model, forms.Form], Any], title: str, submit: str,
                    success: str, intro: str = "", field: str | None = None,
                    aliases: dict[str, str] | None = None,
                    allowed: Callable[[Model], bool] | None = None,
                    refusal: str = "") -> HttpResponse:
        """GET shows ``make_form``; POST validates it and calls ``perform`` (one service)."""
        obj = self.get_object(request, unquote(object_id))
        if not self.has_change_permission(request, obj) or (allowed and not allowed(obj)):
            return self.forbidden(request, refusal or _("You may not change this object."))
        form = make_form(obj, request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            ok, _result = attempt(form, lambda: perform(obj, form), field=field,
                                  aliases=aliases)
            if ok:
                self.message_user(request, success, messages.SUCCESS)
                return HttpResponseRedirect(self.change_url(obj))
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "original": obj,
            "title": title, "intro": intro, "form": form, "submit_label": submit,
            "cancel_url": self.change_url(obj), "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/voronka/action_form.html", context)


class ReadOnlyAdmin(ServiceModelAdmin):
    """The logs: looked at and filtered, never added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# --- inline rows saved by services ----------------------------------------------------------
class ServiceInlineFormSet(forms.BaseInlineFormSet):
    """Rows are saved by ``inline.save_rows`` while the formset is cleaned; Django's own
    save writes nothing."""

    inline: ServiceInline | None = None
    request: HttpRequest | None = None
    # Read by Django's admin after a save; the services did the saving.
    new_objects: list = []
    changed_objects: list = []
    deleted_objects: list = []

    def clean(self) -> None:
        if self.inline is None or any(self.errors):
            return
        refusals = self.inline.save_rows(self.request, self)
        if refusals:
            raise forms.ValidationError(refusals)

    def save(self, commit: bool = True) -> list:
        return []


class ServiceInline(admin.TabularInline):
    """Existing rows change through ``change_row``, new rows through ``add_row``, ticked rows
    go through ``delete_row``; each is one service call whose refusal lands on its row."""

    form = ServiceInlineForm
    formset = ServiceInlineFormSet
    extra = 1
    service_field_aliases: dict[str, str] = {}

    def get_formset(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"inline": self, "request": request})

    def can_manage(self, request: HttpRequest, parent: Model | None) -> bool:
        raise NotImplementedError

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is not None and self.can_manage(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def add_row(self, request: HttpRequest, parent: Model, form: forms.Form) -> Model:
        raise NotImplementedError

    def change_row(self, request: HttpRequest, obj: Model, form: forms.Form) -> Model:
        raise NotImplementedError

    def delete_row(self, request: HttpRequest, obj: Model) -> None:
        raise NotImplementedError

    def after_rows(self, request: HttpRequest, formset: ServiceInlineFormSet) -> None:
        """Called once every row went through; may raise ServiceError."""

    def save_rows(self, request: HttpRequest, formset: ServiceInlineFormSet) -> list[str]:
        """Call the services for deleted, changed and new rows; return the refusals that
        belong to no shown row (a row ticked for deletion is not validated by Django)."""
        refusals: list[str] = []
        aliases = self.service_field_aliases
        for form in formset.forms:
            form.result = None
            existing = form.instance.pk is not None and not form.instance._state.adding
            if existing and form.cleaned_data.get("DELETE"):
                try:
                    with transaction.atomic():
                        self.delete_row(request, form.instance)
                except ServiceError as exc:
                    refusals += [f"{form.instance}: {m}" for m in flat_messages(exc)]
            elif existing and form.has_changed():
                form.result = attempt(form, lambda f=form: self.change_row(request, f.instance, f),
                                      aliases=aliases)[1]
            elif not existing and form.has_changed():
                form.result = attempt(form, lambda f=form: self.add_row(request, formset.instance,
                                                                       f), aliases=aliases)[1]
        if not refusals and not any(form.errors for form in formset.forms):
            try:
                with transaction.atomic():
                    self.after_rows(request, formset)
            except ServiceError as exc:
                refusals += flat_messages(exc)
        return refusals


def choices_with_blank(pairs: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", "---------"), *pairs]
