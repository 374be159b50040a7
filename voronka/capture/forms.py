"""The channel settings form of the web UI: it only parses; ``channel_create`` and
``channel_update`` check and save (their field-named errors come back here)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.core.errors import ValidationError
from voronka.core.numbers import parse_int
from voronka.pipelines.models import CustomField, Pipeline
from voronka.web.forms.base import PageForm

from .channels import default_fields
from .fields import CALL_TARGETS, NAME_RE, TARGETS, UTM, WEBHOOK_ONLY
from .models import Channel

Kind = Channel.Kind
KIND_HELP = {
    Kind.FORM: _("A form on your site or a hosted page: the visitor leaves a name, phone, "
                 "e-mail and a message. You choose the fields; we give the HTML to paste."),
    Kind.CALLBACK: _("A short widget: the visitor leaves a phone number and waits for a call. "
                     "Usually one field."),
    Kind.WEBHOOK: _("Another system (a site builder, a marketplace, Zapier) sends JSON to a "
                    "secret address; the mapping says where each lead field is in it."),
    Kind.TELEPHONY: _("Your telephony provider reports calls: a call is logged on the "
                      "client's deal, a missed one sets a call-back task, an unknown number "
                      "becomes a new deal."),
}
FORM_KINDS = (Kind.FORM, Kind.CALLBACK)
# Lead fields a public form may show (UTM and the source come in hidden inputs).
FORM_TARGETS = ("name", "phone", "email", "company", "title", "budget", "comment")


def _slug(target: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", target.lower())


class ChannelForm(PageForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    pipeline = forms.ChoiceField(label=_("Target pipeline"))
    is_active = forms.BooleanField(label=_("Active: accepts requests"), required=False,
                                   initial=True)
    source = forms.CharField(label=_("Source label"), required=False, max_length=100,
                             help_text=_("Written on every deal from this channel, e.g. "
                                         "site or tilda."))
    distribution = forms.ChoiceField(label=_("Distribution of new deals"),
                                     choices=Channel.Distribution.choices,
                                     initial=Channel.Distribution.ROUND_ROBIN)
    members = forms.MultipleChoiceField(
        label=_("Who receives the deals"), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every manager of the pipeline's team."))
    task_due_minutes = forms.IntegerField(label=_("Deadline of the first task, minutes"),
                                          initial=30)
    success_url = forms.CharField(label=_("Redirect after submit"), required=False,
                                  max_length=500,
                                  help_text=_("An http(s) address; empty shows our thank-you "
                                              "page."))

    def __init__(self, *args: Any, kind: str, pipelines: list[Pipeline], candidates: list,
                 channel: Channel | None = None, **kwargs: Any) -> None:
        self.kind, self.channel = kind, channel
        self.pipelines = {str(p.pk): p for p in pipelines}
        self.candidates = {str(u.pk): u for u in candidates}
        self.section_errors: list[str] = []
        if channel is not None:
            kwargs.setdefault("initial", {
                "name": channel.name, "pipeline": str(channel.pipeline_id),
                "is_active": channel.is_active, "source": channel.source,
                "distribution": channel.distribution,
                "members": [str(pk) for pk in channel.members.values_list("pk", flat=True)],
                "task_due_minutes": channel.task_due_minutes,
                "success_url": channel.success_url})
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].choices = [(key, str(p)) for key, p in self.pipelines.items()]
        # Only the chosen pipeline's team can take its deals (the service refuses others).
        pipeline = self._chosen_pipeline()
        team_id = pipeline.team_id if pipeline is not None else None
        self.candidates = {key: u for key, u in self.candidates.items()
                           if team_id is None or u.team_id == team_id}
        many_teams = len({u.team_id for u in self.candidates.values()}) > 1
        self.fields["members"].choices = [
            (key, f"{u} ({u.team})" if many_teams else str(u))
            for key, u in self.candidates.items()]
        if kind not in FORM_KINDS:
            del self.fields["success_url"]
        self.rows: list[dict[str, Any]] = []
        codes = self._custom_codes()
        if kind in FORM_KINDS:
            self._add_form_rows(codes)
        else:
            self._add_mapping_rows(codes)

    # -- the chosen pipeline: its team's managers and its custom fields are offered ---------
    def _chosen_pipeline(self) -> Pipeline | None:
        key = self.data.get(self.add_prefix("pipeline")) if self.is_bound else None
        pipeline = self.pipelines.get(str(key)) if key else None
        if pipeline is None and self.channel is not None:
            pipeline = self.channel.pipeline
        if pipeline is None and self.pipelines:
            pipeline = next(iter(self.pipelines.values()))
        return pipeline

    def _custom_codes(self) -> list[tuple[str, str]]:
        pipeline = self._chosen_pipeline()
        if pipeline is None:
            return []
        return list(CustomField.objects.filter(pipeline=pipeline).order_by("id")
                    .values_list("code", "name"))

    def _add_form_rows(self, codes: list[tuple[str, str]]) -> None:
        current = (list(self.channel.fields) if self.channel is not None else []
                   ) or default_fields(self.kind)
        specs = {spec["target"]: spec for spec in current}
        targets = [(t, str(TARGETS[t])) for t in FORM_TARGETS]
        targets += [(f"custom.{code}", name) for code, name in codes]
        labels = dict(targets)
        order = [s["target"] for s in current if s["target"] in labels]
        order += [t for t, _label in targets if t not in order]
        for target in order:
            slug, spec = _slug(target), specs.get(target)
            default_name = target if "." not in target else _slug(target.split(".", 1)[1])
            if not NAME_RE.match(default_name):
                default_name = f"field_{slug}"[:40]
            self.fields[f"show_{slug}"] = forms.BooleanField(
                label=labels[target], required=False, initial=spec is not None)
            self.fields[f"required_{slug}"] = forms.BooleanField(
                label=_("required"), required=False,
                initial=bool(spec and spec.get("required")))
            self.fields[f"label_{slug}"] = forms.CharField(
                label=_("Label on the form"), required=False, max_length=200,
                initial=(spec or {}).get("label", ""),
                widget=forms.TextInput(attrs={"placeholder": labels[target]}))
            self.fields[f"input_{slug}"] = forms.CharField(
                label=_("Input name"), required=False, max_length=40,
                initial=(spec or {}).get("name") or default_name)
            self.rows.append({"target": target, "slug": slug, "caption": labels[target],
                              "default_name": default_name})

    def _add_mapping_rows(self, codes: list[tuple[str, str]]) -> None:
        mapping = self.channel.mapping if self.channel is not None else {}
        if self.kind == Kind.TELEPHONY:
            targets = [(t, t) for t in CALL_TARGETS]
        else:
            targets = [(t, f"{t} — {TARGETS[t]}" if t not in UTM else t) for t in TARGETS]
            targets += [(t, t) for t in WEBHOOK_ONLY]
            targets += [(f"custom.{code}", f"custom.{code} — {name}") for code, name in codes]
        for target, label in targets:
            slug = _slug(target)
            self.fields[f"map_{slug}"] = forms.CharField(
                label=label, required=False, max_length=200,
                initial=mapping.get(target, ""),
                widget=forms.TextInput(attrs={"placeholder": target}))
            self.rows.append({"target": target, "slug": slug, "caption": label})

    # -- parsed values for the services -----------------------------------------------------
    def form_fields(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [{"name": data[f"input_{r['slug']}"].strip() or r["default_name"],
                 "target": r["target"],
                 "label": data[f"label_{r['slug']}"].strip(),
                 "required": data[f"required_{r['slug']}"]}
                for r in self.rows if data.get(f"show_{r['slug']}")]

    def mapping(self) -> dict[str, str]:
        data = self.cleaned_data
        return {r["target"]: data[f"map_{r['slug']}"].strip() for r in self.rows
                if data.get(f"map_{r['slug']}", "").strip()}

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {
            "name": data["name"], "pipeline": self.pipelines[data["pipeline"]],
            "is_active": data["is_active"], "source": data["source"],
            "distribution": data["distribution"],
            "task_due_minutes": data["task_due_minutes"]}
        if self.kind in FORM_KINDS:
            out["fields"] = self.form_fields()
            out["success_url"] = data["success_url"]
        else:
            out["mapping"] = self.mapping()
        return out

    def general_errors(self) -> list[str]:
        """Form-wide errors not already shown in the fields/mapping section."""
        return [e for e in self.non_field_errors() if e not in self.section_errors]

    def member_users(self) -> list:
        return [self.candidates[key] for key in self.cleaned_data.get("members") or []]

    # -- the services' errors, on the fields they name --------------------------------------
    def apply_service_errors(self, exc: ValidationError) -> None:
        shown = [r for r in self.rows if self.cleaned_data.get(f"show_{r['slug']}")]
        for name, messages in exc.errors.items():
            parts = name.split(".")
            target = None
            if name in self.fields:
                target = name
            elif parts[0] == "fields" and len(parts) == 3 \
                    and (row := parse_int(parts[1])) is not None and row < len(shown):
                slug = shown[row]["slug"]
                target = f"input_{slug}" if parts[2] == "name" else f"show_{slug}"
            elif parts[0] == "mapping" and len(parts) > 1:
                slug = _slug(name.split(".", 1)[1])
                target = f"map_{slug}" if f"map_{slug}" in self.fields else None
            for message in messages:
                if target is not None:
                    self.add_error(target, message)
                elif parts[0] in ("fields", "mapping"):
                    self.section_errors.append(message)
                    self.add_error(None, message)  # the form is invalid; shown in its section
                else:
                    self.add_error(None, f"{name}: {message}")
