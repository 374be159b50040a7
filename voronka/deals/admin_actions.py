"""The buttons of the deal change page. Each opens a small form and calls one service:
win, archive with a loss reason, reopen, an administrator's correction, confirming a fact,
attaching and detaching contacts, recording a payment."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.crm.models import ContactRole
from voronka.crm.selectors import contact_list
from voronka.pipelines.models import Stage, StageRequirement

from .models import Deal, DealContact, DealFact
from .services import (
    deal_archive,
    deal_contact_attach,
    deal_contact_detach,
    deal_correct,
    deal_fact_confirm,
    deal_reopen,
    deal_win,
    payment_create,
)

TEXTAREA = forms.Textarea(attrs={"rows": 3, "cols": 60})


class DealActionForm(forms.Form):
    """Carries the version the user saw, so acting on a deal someone just changed is a
    conflict, not a silent overwrite."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, deal: Deal, data=None, **kwargs):
        super().__init__(data, initial={"version": deal.version}, **kwargs)
        self.deal = deal


class CommentForm(DealActionForm):
    comment = forms.CharField(label=capfirst(gettext_lazy("comment")), required=False,
                              widget=TEXTAREA)


class ArchiveForm(CommentForm):
    # Not required here: the service says a reason is needed (one rule, one place).
    loss_reason = forms.ModelChoiceField(label=capfirst(gettext_lazy("loss reason")),
                                         required=False, queryset=None)
    field_order = ["loss_reason", "comment"]

    def __init__(self, deal: Deal, data=None):
        super().__init__(deal, data)
        self.fields["loss_reason"].queryset = deal.pipeline.loss_reasons.filter(is_active=True)


class CorrectForm(DealActionForm):
    to_stage = forms.ModelChoiceField(label=capfirst(gettext_lazy("back to stage")), queryset=None)
    reason = forms.CharField(label=capfirst(gettext_lazy("reason")), required=False,
                             widget=TEXTAREA)

    def __init__(self, deal: Deal, data=None):
        super().__init__(deal, data)
        field = self.fields["to_stage"]
        field.queryset = Stage.objects.filter(pipeline_id=deal.pipeline_id,
                                              position__lt=deal.stage.position)
        field.label_from_instance = lambda s: f"{s.position + 1}. {s.name}"


def open_facts(deal: Deal):
    """The current stage's facts to be confirmed by a person that nobody confirmed yet."""
    return (StageRequirement.objects
            .filter(stage_id=deal.stage_id, kind=StageRequirement.Kind.FACT_CONFIRMED)
            .exclude(pk__in=DealFact.objects.filter(deal=deal).values("requirement_id"))
            .order_by("position", "id"))


class FactForm(DealActionForm):
    requirement = forms.ModelChoiceField(label=capfirst(gettext_lazy("fact")), queryset=None)
    comment = forms.CharField(label=capfirst(gettext_lazy("comment")), required=False,
                              max_length=500)

    def __init__(self, deal: Deal, data=None):
        super().__init__(deal, data)
        self.fields["requirement"].queryset = open_facts(deal)
        self.fields["requirement"].label_from_instance = lambda r: r.fact_name


class AttachContactForm(DealActionForm):
    contact = forms.ModelChoiceField(label=capfirst(gettext_lazy("contact")), queryset=None)
    role = forms.ChoiceField(label=capfirst(gettext_lazy("role")), choices=ContactRole.choices,
                             initial=ContactRole.DECISION_MAKER)

    def __init__(self, deal: Deal, data=None, *, user=None):
        super().__init__(deal, data)
        field = self.fields["contact"]
        field.queryset = contact_list(user=user)
        field.widget = AutocompleteSelect(DealContact._meta.get_field("contact"), admin.site)
        field.widget.choices, field.widget.is_required = field.choices, True


class PaymentForm(DealActionForm):
    amount = forms.CharField(label=capfirst(gettext_lazy("amount")))
    paid_on = forms.DateField(label=capfirst(gettext_lazy("paid on")), required=False,
                              widget=AdminDateWidget, initial=timezone.localdate)
    reference = forms.CharField(label=capfirst(gettext_lazy("reference")), required=False,
                                max_length=200)


class DealActionsMixin:
    """URLs and views of the deal page's buttons; mixed into DealAdmin."""

    def get_urls(self):
        actions = [("win", self.win_view), ("archive", self.archive_view),
                   ("reopen", self.reopen_view), ("correct", self.correct_view),
                   ("confirm-fact", self.fact_view), ("attach-contact", self.attach_view),
                   ("add-payment", self.payment_view)]
        urls = [path(f"<path:object_id>/{name}/", self.admin_site.admin_view(view),
                     name=f"deals_deal_{name.replace('-', '_')}") for name, view in actions]
        urls.append(path("<path:object_id>/detach-contact/<int:contact_id>/",
                         self.admin_site.admin_view(self.detach_view),
                         name="deals_deal_detach_contact"))
        return urls + super().get_urls()

    def tools(self, request, deal: Deal) -> list[tuple[str, str]]:
        """The buttons this user may press on this deal now."""
        if not self.has_change_permission(request, deal):
            return []

        def url(name):
            return reverse(f"admin:deals_deal_{name}", args=[deal.pk])

        if not deal.is_open:
            return [(_("Reopen"), url("reopen"))]
        tools = [(_("Win"), url("win")), (_("Archive"), url("archive"))]
        if open_facts(deal).exists():
            tools.append((_("Confirm a fact"), url("confirm_fact")))
        tools += [(_("Attach a contact"), url("attach_contact")),
                  (_("Add a payment"), url("add_payment"))]
        if request.user.is_admin and deal.stage.position > 0:
            tools.append((_("Correct the stage"), url("correct")))
        return tools

    def win_view(self, request, object_id):
        return self.action_view(
            request, object_id, make_form=CommentForm,
            perform=lambda deal, form: deal_win(
                deal=deal, actor=request.user, comment=form.cleaned_data["comment"],
                expected_version=form.cleaned_data["version"]),
            title=_("Close the deal as won"), submit=_("Win"), success=_("The deal is won."),
            intro=_("Winning needs the exit facts of the current stage and of every later "
                    "one."))

    def archive_view(self, request, object_id):
        return self.action_view(
            request, object_id, make_form=ArchiveForm,
            perform=lambda deal, form: deal_archive(
                deal=deal, actor=request.user, reason=form.cleaned_data["loss_reason"],
                comment=form.cleaned_data["comment"],
                expected_version=form.cleaned_data["version"]),
            aliases={"reason": "loss_reason"}, title=_("Archive the deal as lost"),
            submit=_("Archive"), success=_("The deal is archived as lost."),
            intro=_("Without an intention to buy a deal goes to the archive, with the reason; "
                    "it can be reopened later."))

    def reopen_view(self, request, object_id):
        return self.action_view(
            request, object_id, make_form=CommentForm,
            perform=lambda deal, form: deal_reopen(
                deal=deal, actor=request.user, comment=form.cleaned_data["comment"],
                expected_version=form.cleaned_data["version"]),
            title=_("Reopen the deal"), submit=_("Reopen"), success=_("The deal is open again."),
            intro=_("The deal returns to the stage it left."))

    def correct_view(self, request, object_id):
        return self.action_view(
            request, object_id, make_form=CorrectForm,
            perform=lambda deal, form: deal_correct(
                deal=deal, actor=request.user, to_stage=form.cleaned_data["to_stage"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"]),
            title=_("Correct the stage"), submit=_("Correct"),
            success=_("The stage is corrected."), field="to_stage",
            intro=_("A correction moves a deal back after a mistaken move. It is recorded "
                    "with your reason."),
            allowed=lambda deal: request.user.is_admin,
            refusal=_("Only an administrator can correct a deal's stage."))

    def fact_view(self, request, object_id):
        return self.action_view(
            request, object_id, make_form=FactForm,
            perform=lambda deal, form: deal_fact_confirm(
                deal=deal, requirement=form.cleaned_data["requirement"], actor=request.user,
                comment=form.cleaned_data["comment"]),
            title=_("Confirm a fact"), submit=_("Confirm"), success=_("The fact is confirmed."),
            intro=_("You vouch for the fact; your name and the time are recorded."))

    def attach_view(self, request, object_id):
        return self.action_view(
            request, object_id,
            make_form=lambda deal, data: AttachContactForm(deal, data, user=request.user),
            perform=lambda deal, form: deal_contact_attach(
                deal=deal, contact=form.cleaned_data["contact"],
                role=form.cleaned_data["role"], actor=request.user),
            title=_("Attach a contact"), submit=_("Attach"),
            success=_("The contact is attached."))

    def detach_view(self, request, object_id, contact_id):
        deal = self.get_object(request, object_id)
        link = get_object_or_404(DealContact.objects.select_related("contact"), deal=deal,
                                 contact_id=contact_id)
        return self.action_view(
            request, object_id, make_form=DealActionForm,
            perform=lambda deal, form: deal_contact_detach(deal=deal, contact=link.contact,
                                                           actor=request.user),
            title=_("Detach %(contact)s") % {"contact": link.contact},
            submit=_("Detach"), success=_("The contact is detached."))

    def payment_view(self, request, object_id):
        return self.action_view(
            request, object_id, make_form=PaymentForm,
            perform=lambda deal, form: payment_create(
                deal=deal, amount=form.cleaned_data["amount"],
                paid_on=form.cleaned_data["paid_on"],
                reference=form.cleaned_data["reference"], actor=request.user),
            title=_("Add a payment"), submit=_("Add"), success=_("The payment is recorded."))
