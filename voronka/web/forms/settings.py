"""Forms of the settings pages: pipelines, stages, exit requirements, users and teams."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Role
from voronka.activities.models import TaskKind
from voronka.deals.gates import BUILTIN_FIELDS
from voronka.pipelines.models import CustomField, Pipeline, StageRequirement

from .base import PageForm


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def default_loss_reasons() -> str:
    """The reasons a new pipeline starts with, in the user's language; edited before saving."""
    return "\n".join(str(r) for r in (
        _("Too expensive"), _("Chose a competitor"), _("No need"),
        _("Could not reach the decision maker"), _("Postponed by the client"),
        _("Stopped answering")))


class PipelineForm(PageForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    team = forms.ChoiceField(label=_("Team (department)"))
    loss_reasons = forms.CharField(
        label=_("Loss reasons (one per line)"), required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("A deal is archived only with a reason; the reports count losses by "
                    "them."))

    def __init__(self, *args: Any, teams, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"loss_reasons": default_loss_reasons()})
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [(str(t.pk), t.name) for t in teams]

    def reason_list(self) -> list[str]:
        return _lines(self.cleaned_data.get("loss_reasons", ""))


class PipelineRenameForm(PageForm):
    name = forms.CharField(label=_("Name"), max_length=200)


class StageForm(PageForm):
    name = forms.CharField(label=_("Stage (what the manager does)"), max_length=200)
    goal = forms.CharField(label=_("Goal: the exit fact"), required=False, max_length=500)
    time_limit_hours = forms.IntegerField(label=_("Time limit, hours"), required=False,
                                          min_value=1, max_value=24 * 365)
    probability = forms.IntegerField(label=_("Win probability, %"), required=False,
                                     min_value=0, max_value=100)


class RequirementForm(PageForm):
    kind = forms.ChoiceField(label=_("Exit fact"), choices=StageRequirement.Kind.choices)
    field_name = forms.ChoiceField(label=_("Field"), required=False)
    task_kind = forms.ChoiceField(label=_("Task kind"), required=False,
                                  choices=[("", "—")] + list(TaskKind.choices))
    payment_share = forms.DecimalField(label=_("Paid, percent of the budget"), required=False,
                                       min_value=Decimal("0.1"), max_value=100,
                                       decimal_places=1, initial="100")
    fact_name = forms.CharField(label=_("Fact to confirm"), required=False, max_length=200)

    def __init__(self, *args: Any, pipeline: Pipeline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        builtin = [(name, str(label)) for name, (label, _check) in BUILTIN_FIELDS.items()]
        custom = [(f"cf:{cf.code}", cf.name) for cf in pipeline.custom_fields.all()]
        self.fields["field_name"].choices = [("", "—")] + builtin + custom

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind, out = data["kind"], {"kind": data["kind"]}
        field_name = data.get("field_name") or ""
        if kind == StageRequirement.Kind.FIELD_FILLED:
            if field_name.startswith("cf:"):
                out["custom_field"] = field_name[3:]
            else:
                out["field_name"] = field_name
        elif kind == StageRequirement.Kind.TASK_COMPLETED:
            out["task_kind"] = data.get("task_kind") or ""
        elif kind == StageRequirement.Kind.PAYMENT_RECEIVED:
            percent = data.get("payment_share")
            out["payment_share"] = (percent / 100) if percent is not None else Decimal(1)
        elif kind == StageRequirement.Kind.FACT_CONFIRMED:
            out["fact_name"] = data.get("fact_name") or ""
        return out


class ReasonForm(PageForm):
    name = forms.CharField(label=_("Loss reason"), max_length=200)


class CustomFieldEditForm(PageForm):
    """Name and choices; the code and type of a field stay once it exists."""

    name = forms.CharField(label=_("Field name"), max_length=200)
    choices = forms.CharField(label=_("Choices (one per line)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def choice_list(self) -> list[str]:
        return _lines(self.cleaned_data.get("choices", ""))


class CustomFieldForm(CustomFieldEditForm):
    kind = forms.ChoiceField(label=_("Type"), choices=CustomField.Kind.choices)
    field_order = ["name", "kind", "choices"]


class UserCreateForm(PageForm):
    email = forms.CharField(label=_("E-mail"), max_length=254)
    full_name = forms.CharField(label=_("Full name"), required=False, max_length=200)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MANAGER)
    team = forms.ChoiceField(label=_("Team"), required=False)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput,
                               min_length=8, max_length=128)

    def __init__(self, *args: Any, teams, roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit(self, teams, roles)


def _limit(form: forms.Form, teams, roles: list[str]) -> None:
    """Offer only the teams and roles the user may give (a head: the own team, managers
    and marketers); the services refuse anything else anyway."""
    teams = list(teams)
    form.fields["team"].choices = ([] if len(teams) == 1 and Role.ADMIN not in roles
                                   else [("", "—")]) + [(str(t.pk), t.name) for t in teams]
    form.fields["role"].choices = [(v, label) for v, label in Role.choices if v in roles]


class UserEditForm(PageForm):
    full_name = forms.CharField(label=_("Full name"), required=False, max_length=200)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    team = forms.ChoiceField(label=_("Team"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, teams, roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit(self, teams, roles)


class TeamForm(PageForm):
    name = forms.CharField(label=_("Team name"), max_length=200)
