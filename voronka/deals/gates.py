"""Exit-fact evaluation: which of a stage's requirements a deal does not meet yet.

A deal leaves stage N only when every requirement of N holds; a skip from N to N+k needs
the requirements of N..N+k-1; winning needs those of the current stage through the last.
Facts are read with one query per kind of fact, however many stages are checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from django.db.models import Sum
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.errors import MissingFact
from voronka.pipelines.models import Stage, StageRequirement

from .models import Deal, DealFact

Kind = StageRequirement.Kind


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# Built-in deal fields an exit requirement may name, with the test of "filled".
BUILTIN_FIELDS: dict[str, tuple[object, Callable[[Deal], bool]]] = {
    "title": (gettext_lazy("Title"), lambda d: not _blank(d.title)),
    "budget": (gettext_lazy("Budget"), lambda d: d.budget is not None and d.budget > 0),
    "company": (gettext_lazy("Company"), lambda d: d.company_id is not None),
    "source": (gettext_lazy("Source"), lambda d: not _blank(d.source)),
    "expected_close_date": (gettext_lazy("Expected close date"),
                            lambda d: d.expected_close_date is not None),
    "utm_source": ("utm_source", lambda d: not _blank(d.utm_source)),
    "utm_campaign": ("utm_campaign", lambda d: not _blank(d.utm_campaign)),
}

LANGUAGES = ("ru", "en")


class _Facts:
    """Lazily loaded facts of one deal, each kind fetched at most once."""

    def __init__(self, deal: Deal) -> None:
        self.deal = deal
        self._cache: dict[str, object] = {}

    def _get(self, key: str, load: Callable[[], object]):
        if key not in self._cache:
            self._cache[key] = load()
        return self._cache[key]

    def has_contact(self) -> bool:
        return self._get("contact", lambda: self.deal.deal_contacts.exists())

    def done_task_kinds(self) -> set[str]:
        from voronka.activities.models import Task

        return self._get("tasks", lambda: set(
            Task.objects.filter(deal=self.deal, is_done=True)
            .values_list("kind", flat=True).distinct()))

    def paid(self) -> Decimal:
        return self._get("paid", lambda: self.deal.payments.aggregate(s=Sum("amount"))["s"]
                         or Decimal("0"))

    def confirmed(self) -> set[int]:
        return self._get("facts", lambda: set(
            DealFact.objects.filter(deal=self.deal).values_list("requirement_id", flat=True)))


def _custom_value_filled(deal: Deal, req: StageRequirement) -> bool:
    value = (deal.custom_fields or {}).get(req.custom_field.code)
    if isinstance(value, bool):
        return True  # a yes/no answered "no" is still filled
    return not _blank(value) and value != []


def requirement_label(req: StageRequirement) -> str:
    """The requirement as a checklist line, in the active language."""
    from voronka.activities.models import TaskKind

    if req.kind == Kind.FIELD_FILLED:
        name = (req.custom_field.name if req.custom_field_id
                else str(BUILTIN_FIELDS.get(req.field_name, (req.field_name,))[0]))
        return _("Field “%(field)s” is filled") % {"field": name}
    if req.kind == Kind.CONTACT_ATTACHED:
        return _("A contact is attached")
    if req.kind == Kind.COMPANY_ATTACHED:
        return _("A company is attached")
    if req.kind == Kind.TASK_COMPLETED:
        kind = TaskKind(req.task_kind).label if req.task_kind in TaskKind.values else req.task_kind
        return _("A task “%(kind)s” is completed") % {"kind": kind}
    if req.kind == Kind.PAYMENT_RECEIVED:
        share = (req.payment_share or Decimal("1")) * 100
        return _("Payments reach %(share)s%% of the budget") % {"share": f"{share.normalize():f}"}
    return _("Fact confirmed: “%(fact)s”") % {"fact": req.fact_name}


def _holds(deal: Deal, req: StageRequirement, facts: _Facts) -> bool:
    if req.kind == Kind.FIELD_FILLED:
        if req.custom_field_id:
            return _custom_value_filled(deal, req)
        check = BUILTIN_FIELDS.get(req.field_name)
        return bool(check and check[1](deal))
    if req.kind == Kind.CONTACT_ATTACHED:
        return facts.has_contact()
    if req.kind == Kind.COMPANY_ATTACHED:
        return deal.company_id is not None
    if req.kind == Kind.TASK_COMPLETED:
        return req.task_kind in facts.done_task_kinds()
    if req.kind == Kind.PAYMENT_RECEIVED:
        share = req.payment_share or Decimal("1")
        # Compared exactly: rounding the target (half of 100.01 is 50.005) to kopecks could
        # round it down and let a payment short of the share pass.
        return deal.budget > 0 and facts.paid() >= deal.budget * share
    if req.kind == Kind.FACT_CONFIRMED:
        return req.pk in facts.confirmed()
    return False


def _message(req: StageRequirement, stage: Stage) -> dict[str, str]:
    out = {}
    for lang in LANGUAGES:
        with translation.override(lang):
            out[lang] = _("Stage “%(stage)s”: %(requirement)s — not yet.") % {
                "stage": stage.name, "requirement": requirement_label(req)}
    return out


def stage_requirements(stages: Sequence[Stage]) -> dict[int, list[StageRequirement]]:
    by_stage: dict[int, list[StageRequirement]] = {s.pk: [] for s in stages}
    reqs = (StageRequirement.objects.filter(stage__in=[s.pk for s in stages])
            .select_related("custom_field").order_by("position", "id"))
    for req in reqs:
        by_stage[req.stage_id].append(req)
    return by_stage


def checklist(deal: Deal, stages: Sequence[Stage]) -> list[tuple[Stage, StageRequirement, bool]]:
    """Every requirement of ``stages`` with whether it holds for ``deal`` now."""
    facts = _Facts(deal)
    by_stage = stage_requirements(stages)
    return [(stage, req, _holds(deal, req, facts)) for stage in stages
            for req in by_stage[stage.pk]]


def missing_facts(deal: Deal, stages: Sequence[Stage]) -> list[MissingFact]:
    """The requirements of ``stages`` that do not hold, as structured, bilingual facts."""
    return [
        MissingFact(code=req.kind, stage_id=stage.pk, requirement_id=req.pk,
                    message=_message(req, stage))
        for stage, req, ok in checklist(deal, stages) if not ok
    ]
