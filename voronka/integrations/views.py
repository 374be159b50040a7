"""Settings screens: e-mail templates (admins, heads for their team) and outgoing webhooks
(admins): list, edit, "send test", the delivery log. Thin: parse, one service, render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from voronka.accounts.models import Team
from voronka.core import errors
from voronka.web.views.common import apply_errors, staff_view

from . import emails, rendering, selectors, subscriptions
from .models import WebhookSubscription


class EmailTemplateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    team = forms.ModelChoiceField(label=gettext_lazy("Team"), queryset=Team.objects.none(),
                                  required=False, empty_label=gettext_lazy("Every team"))
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300)
    body = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 10}))
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if user.is_admin:
            self.fields["team"].queryset = Team.objects.order_by("name")
        else:
            self.fields["team"].queryset = Team.objects.filter(pk=user.team_id)
            self.fields["team"].required = True
            self.fields["team"].empty_label = None


class WebhookForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    url = forms.CharField(label=gettext_lazy("URL"), max_length=1000)
    team = forms.ModelChoiceField(label=gettext_lazy("Team"), queryset=Team.objects.none(),
                                  required=False, empty_label=gettext_lazy("Every team"))
    events = forms.MultipleChoiceField(label=gettext_lazy("Events"), required=False,
                                       widget=forms.CheckboxSelectMultiple,
                                       choices=[(k, v) for k, v in
                                                subscriptions.EVENTS.items()])
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")


@staff_view
def email_template_list(request: HttpRequest) -> HttpResponse:
    return render(request, "integrations/templates.html", {
        "section": "automation",
        "templates": selectors.email_template_list(user=request.user)})


@require_http_methods(["GET", "POST"])
@staff_view
def email_template_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    template = (selectors.email_template_get(user=request.user, pk=template_id)
                if template_id else None)
    if request.method == "POST":
        form = EmailTemplateForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if template is None:
                    emails.email_template_create(actor=request.user, team=data["team"],
                                                 name=data["name"], subject=data["subject"],
                                                 body=data["body"])
                else:
                    emails.email_template_update(actor=request.user, template=template,
                                                 name=data["name"], subject=data["subject"],
                                                 body=data["body"],
                                                 is_active=data["is_active"])
            except errors.ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The template is saved."))
                return redirect("integrations:email_templates")
    elif template is not None:
        form = EmailTemplateForm(user=request.user, initial={
            "name": template.name, "team": template.team, "subject": template.subject,
            "body": template.body, "is_active": template.is_active})
    else:
        form = EmailTemplateForm(user=request.user, initial={"team": request.user.team})
    return render(request, "integrations/template_form.html", {
        "section": "automation", "form": form, "template": template,
        "variables": ["{{ " + name + " }}  " + str(label)
                      for name, label in rendering.VARIABLES.items()]
        + ["{{ custom.<code> }}  " + _("a custom field")]},
        status=422 if form.errors else 200)


@require_POST
@staff_view
def email_template_remove(request: HttpRequest, template_id: int) -> HttpResponse:
    """Delete a template (after the page's confirmation); refused while a rule uses it."""
    template = selectors.email_template_get(user=request.user, pk=template_id)
    try:
        emails.email_template_delete(actor=request.user, template=template)
    except errors.Conflict as exc:
        messages.error(request, exc.message)
        return redirect("integrations:email_template_edit", template_id=template.pk)
    messages.success(request, _("The template is deleted."))
    return redirect("integrations:email_templates")


def _admin(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise Http404


@staff_view
def webhook_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    return render(request, "integrations/webhooks.html", {
        "section": "automation", "webhooks": selectors.webhook_list(user=request.user),
        "events": subscriptions.EVENTS})


@require_http_methods(["GET", "POST"])
@staff_view
def webhook_edit(request: HttpRequest, webhook_id: int | None = None) -> HttpResponse:
    _admin(request)
    sub = selectors.webhook_get(user=request.user, pk=webhook_id) if webhook_id else None
    if request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if sub is None:
                    sub = subscriptions.webhook_subscription_create(
                        actor=request.user, url=data["url"], events=data["events"],
                        team=data["team"], name=data["name"])
                    messages.success(request, _("The webhook is saved. Configure the receiver "
                                                "with the secret shown below."))
                else:
                    subscriptions.webhook_subscription_update(
                        actor=request.user, subscription=sub, url=data["url"],
                        events=data["events"], name=data["name"], team=data["team"],
                        is_active=data["is_active"])
                    messages.success(request, _("The webhook is saved."))
            except errors.ValidationError as exc:
                apply_errors(form, exc)
            else:
                return redirect("integrations:webhook_edit", webhook_id=sub.pk)
    elif sub is not None:
        form = WebhookForm(initial={"name": sub.name, "url": sub.url, "team": sub.team,
                                    "events": sub.events, "is_active": sub.is_active})
    else:
        form = WebhookForm()
    return render(request, "integrations/webhook_form.html", {
        "section": "automation", "form": form, "webhook": sub,
        "deliveries": selectors.delivery_log(subscription=sub) if sub else []},
        status=422 if form.errors else 200)


def _subscription(request: HttpRequest, webhook_id: int) -> WebhookSubscription:
    _admin(request)
    return selectors.webhook_get(user=request.user, pk=webhook_id)


@require_POST
@staff_view
def webhook_test(request: HttpRequest, webhook_id: int) -> HttpResponse:
    sub = _subscription(request, webhook_id)
    delivery = subscriptions.webhook_send_test(actor=request.user, subscription=sub)
    if delivery.status == "delivered":
        messages.success(request, _("Test delivered: HTTP %(code)s.") % {
            "code": delivery.last_status_code})
    else:
        messages.error(request, _("Test failed: %(error)s") % {
            "error": delivery.last_error or delivery.last_status_code})
    return redirect("integrations:webhook_edit", webhook_id=sub.pk)


@require_POST
@staff_view
def webhook_rotate(request: HttpRequest, webhook_id: int) -> HttpResponse:
    sub = _subscription(request, webhook_id)
    subscriptions.webhook_subscription_rotate_secret(actor=request.user, subscription=sub)
    messages.success(request, _("A new secret is set; update the receiver."))
    return redirect("integrations:webhook_edit", webhook_id=sub.pk)


@require_POST
@staff_view
def webhook_remove(request: HttpRequest, webhook_id: int) -> HttpResponse:
    sub = _subscription(request, webhook_id)
    subscriptions.webhook_subscription_delete(actor=request.user, subscription=sub)
    messages.success(request, _("The webhook is deleted."))
    return redirect("integrations:webhooks")

