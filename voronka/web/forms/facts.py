"""The missing-facts dialog: one control per exit fact that can be satisfied right there."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.core.errors import NotFound
from voronka.crm.models import ContactRole
from voronka.crm.selectors import company_get, contact_get
from voronka.deals import gates
from voronka.deals.models import Deal
from voronka.deals.provide import FactInputs
from voronka.pipelines.models import Stage, StageRequirement

from ..templatetags.web_tags import money_text
from .base import PageForm
from .fields import DateInput, custom_formfield, custom_value
from .pickers import company_picker, contact_picker

Kind = StageRequirement.Kind
BUILTIN_TEXT = {"title", "source", "utm_source", "utm_campaign"}
PICKER_LIMIT = 200  # the first options a picker of the dialog shows; search finds the rest


@dataclass
class FactItem:
    """One missing fact as the dialog shows it: its text and the controls that satisfy it."""

    stage: Stage
    requirement: StageRequirement
    label: str
    field_names: list[str] = field(default_factory=list)
    note: str = ""
    fields: list[Any] = field(default_factory=list)


class FactsForm(PageForm):
    """Built from the blocking requirements; every field is optional (blank = not provided)."""

    def __init__(self, *args: Any, deal: Deal, user: User,
                 blockers: list[tuple[Stage, StageRequirement]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deal, self.user = deal, user
        self.items: list[FactItem] = []
        seen: set[str] = set()
        for stage, req in blockers:
            item = FactItem(stage, req, gates.requirement_label(req))
            for name, formfield in self._controls(req, item):
                if name not in seen:
                    seen.add(name)
                    self.fields[name] = formfield
                    item.field_names.append(name)
            self.items.append(item)
        for item in self.items:
            item.fields = [self[name] for name in item.field_names]

    # --- controls per requirement kind -----------------------------------------------------
    def _controls(self, req: StageRequirement, item: FactItem):
        if req.kind == Kind.FIELD_FILLED and req.custom_field_id:
            yield f"cf_{req.custom_field.code}", custom_formfield(req.custom_field)
        elif req.kind == Kind.FIELD_FILLED and req.field_name == "budget":
            yield "budget", forms.CharField(label=_("Budget"), required=False,
                                            widget=forms.TextInput(attrs={"inputmode": "decimal"}))
        elif req.kind == Kind.FIELD_FILLED and req.field_name == "expected_close_date":
            yield "expected_close_date", forms.DateField(
                label=_("Expected close date"), required=False, widget=DateInput())
        elif req.kind == Kind.FIELD_FILLED and req.field_name in BUILTIN_TEXT:
            yield req.field_name, forms.CharField(label=str(gates.BUILTIN_FIELDS[
                req.field_name][0]), required=False)
        elif req.kind == Kind.COMPANY_ATTACHED or (
                req.kind == Kind.FIELD_FILLED and req.field_name == "company"):
            yield from self._company_controls()
        elif req.kind == Kind.CONTACT_ATTACHED:
            yield from self._contact_controls()
        elif req.kind == Kind.FACT_CONFIRMED:
            yield f"confirm_{req.pk}", forms.BooleanField(
                label=_("I confirm: %(fact)s") % {"fact": req.fact_name}, required=False)
        elif req.kind == Kind.PAYMENT_RECEIVED:
            yield from self._payment_controls(req, item)
        elif req.kind == Kind.TASK_COMPLETED:
            yield from self._task_controls(req, item)

    def _company_controls(self):
        yield "company", company_picker(self.user, label=_("Company"), limit=PICKER_LIMIT)
        yield "new_company_name", forms.CharField(label=_("…or a new company"), required=False,
                                                  max_length=300)

    def _contact_controls(self):
        yield "contact", contact_picker(self.user, label=_("Contact"), limit=PICKER_LIMIT)
        yield "new_contact_name", forms.CharField(label=_("…or a new contact"), required=False,
                                                  max_length=300)
        yield "new_contact_phone", forms.CharField(label=_("Phone"), required=False,
                                                   max_length=40)
        yield "contact_role", forms.ChoiceField(label=_("Role in the deal"), required=False,
                                                choices=ContactRole.choices,
                                                initial=ContactRole.DECISION_MAKER)

    def _payment_controls(self, req: StageRequirement, item: FactItem):
        share = req.payment_share or Decimal("1")
        due = (self.deal.budget * share).quantize(Decimal("0.01")) - gates.amount_paid(self.deal)
        if self.deal.budget <= 0:
            item.note = _("Set the budget first: the payment is a share of it.")
        # The amount still due is a hint, not a value: a payment is recorded only when typed.
        hint = _("%(amount)s still due") % {"amount": money_text(due)} if due > 0 else ""
        yield "payment_amount", forms.CharField(
            label=_("Payment received"), required=False,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": hint}))
        yield "payment_date", forms.DateField(label=_("Paid on"), required=False,
                                              widget=DateInput())

    def _task_controls(self, req: StageRequirement, item: FactItem):
        tasks = list(self.deal.tasks.filter(kind=req.task_kind, is_done=False)
                     .order_by("due_at")[:5])
        if not tasks:
            item.note = _("No open task of this kind: plan it on the deal page and complete it "
                          "when it has happened.")
        for task in tasks:
            yield f"task_{task.pk}", forms.CharField(
                label=_("Done: “%(text)s” — result") % {"text": task.text}, required=False,
                widget=forms.TextInput(attrs={"placeholder": _("What was agreed")}))

    # --- turning the answers into the service's input --------------------------------------
    def inputs(self) -> FactInputs:
        data, out = self.cleaned_data, FactInputs()
        for name, cf in self._custom_fields().items():
            raw = data.get(f"cf_{name}")
            if raw not in (None, ""):
                out.custom_fields[name] = custom_value(cf, raw)
        for name in ("budget", "expected_close_date", *BUILTIN_TEXT):
            if data.get(name) not in (None, ""):
                out.fields[name] = data[name]
        out.company = data.get("company_obj")
        out.new_company_name = data.get("new_company_name") or ""
        out.contact = data.get("contact_obj")
        out.new_contact_name = data.get("new_contact_name") or ""
        out.new_contact_phone = data.get("new_contact_phone") or ""
        out.contact_role = data.get("contact_role") or ContactRole.OTHER
        out.confirm = [item.requirement for item in self.items
                       if item.requirement.kind == Kind.FACT_CONFIRMED
                       and data.get(f"confirm_{item.requirement.pk}")]
        out.payment_amount = data.get("payment_amount") or None
        out.payment_date = data.get("payment_date")
        out.complete_tasks = {int(name[5:]): value for name, value in data.items()
                              if name.startswith("task_") and value}
        return out

    def _custom_fields(self) -> dict[str, Any]:
        return {item.requirement.custom_field.code: item.requirement.custom_field
                for item in self.items if item.requirement.custom_field_id}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, getter in (("company", company_get), ("contact", contact_get)):
            raw = data.get(name)
            data[f"{name}_obj"] = None
            if raw and not self.has_error(name):
                try:
                    data[f"{name}_obj"] = getter(user=self.user, pk=int(raw))
                except (NotFound, ValueError):
                    self.add_error(name, _("Choose one of the list."))
        return data

