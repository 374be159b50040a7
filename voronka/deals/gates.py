"""Exit-fact evaluation: which of a stage's requirements a deal does not meet yet.

A deal leaves stage N only when every requirement of N holds; a skip from N to N+k needs
the requirements of N..N+k-1; winning needs those of the current stage through the last.
Facts are read with one query per kind of fact, however many stages are checked; a move
reads them with the pipeline's stages and requirements in one query (``deal_layout``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from django.db import connections, router
from django.db.models import Sum
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core import events
from voronka.core.errors import MissingFact
from voronka.core.rawsql import Columns, quoted, sum_converter
from voronka.pipelines.models import CustomField, Stage, StageRequirement

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


def amount_paid(deal: Deal) -> Decimal:
    """The sum of the deal's payments (what a payment requirement compares with its share)."""
    return deal.payments.aggregate(s=Sum("amount"))["s"] or Decimal("0")


class _Facts:
    """Lazily loaded facts of one deal, each kind fetched at most once (or given, when they
    were read with the pipeline's layout: ``deal_layout``)."""

    def __init__(self, deal: Deal, **known: object) -> None:
        self.deal = deal
        self._cache: dict[str, object] = dict(known)
        # The event subscribers whose probe, read with the layout, found nobody listening in
        # the deal's pipeline: the move publishes without them (core.events).
        self.silent: frozenset[events.Subscriber] = frozenset()
        self.hints: dict[events.Subscriber, object] = {}  # the others' probe answers

    def _get(self, key: str, load: Callable[[], object]):
        if key not in self._cache:
            self._cache[key] = load()
        return self._cache[key]

    def has_contact(self) -> bool:
        return self._get("contact", lambda: self.deal.deal_contacts.exists())

    def done_task_kinds(self) -> set[str]:
        from voronka.activities.models import Task

        # order_by(): Task's default ordering would join due_at and id into the DISTINCT.
        return self._get("tasks", lambda: set(
            Task.objects.filter(deal=self.deal, is_done=True).order_by()
            .values_list("kind", flat=True).distinct()))

    def paid(self) -> Decimal:
        return self._get("paid", lambda: amount_paid(self.deal))

    def confirmed(self) -> set[int]:
        return self._get("facts", lambda: set(
            DealFact.objects.filter(deal=self.deal).values_list("requirement_id", flat=True)))


Facts = _Facts  # the public name, for type hints (``deal_layout``'s third item)


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


# What a requirement reads of its custom field (the code to test, the name to show); the
# rest of the field stays deferred and loads on access.
_FIELD_NAMES = ["id", "code", "name", "kind"]


def _facts_sql(conn, deal: Deal) -> tuple[list[str], list]:
    """The deal's facts as columns of the layout query, with their parameters: per
    requirement row whether its task kind is done and whether its fact is confirmed; per deal
    whether a contact is attached and the sum of the payments. The same reads as ``_Facts``."""
    from voronka.activities.models import Task

    def q(model, name: str = "") -> str:
        return quoted(conn, model, name)

    link, payment = Deal.contacts.through, Deal.payments.rel.related_model
    columns = [
        f"CASE WHEN r.{q(StageRequirement, 'kind')} = %s THEN EXISTS (SELECT 1 FROM {q(Task)} t"
        f" WHERE t.{q(Task, 'deal')} = %s AND t.{q(Task, 'is_done')} = %s"
        f" AND t.{q(Task, 'kind')} = r.{q(StageRequirement, 'task_kind')}) END",
        f"CASE WHEN r.{q(StageRequirement, 'kind')} = %s THEN EXISTS (SELECT 1 FROM"
        f" {q(DealFact)} x WHERE x.{q(DealFact, 'deal')} = %s"
        f" AND x.{q(DealFact, 'requirement')} = r.{q(StageRequirement, 'id')}) END",
        f"EXISTS (SELECT 1 FROM {q(link)} c WHERE c.{q(link, 'deal')} = %s)",
        f"(SELECT SUM(p.{q(payment, 'amount')}) FROM {q(payment)} p"
        f" WHERE p.{q(payment, 'deal')} = %s)",
    ]
    params = [Kind.TASK_COMPLETED.value, deal.pk, True, Kind.FACT_CONFIRMED.value, deal.pk,
              deal.pk, deal.pk]
    return columns, params


def _read_layout(pipeline_id: int, deal: Deal | None):
    conn = connections[router.db_for_read(Stage)]

    def q(model, name: str = "") -> str:
        return quoted(conn, model, name)

    stage = Columns(Stage, "s", [f.attname for f in Stage._meta.concrete_fields], conn)
    req = Columns(StageRequirement, "r",
                   [f.attname for f in StageRequirement._meta.concrete_fields], conn)
    field = Columns(CustomField, "f", _FIELD_NAMES, conn)
    fact_columns, params = _facts_sql(conn, deal) if deal is not None else ([], [])
    # The event subscribers' "does anyone listen in this pipeline" conditions, answered here
    # so a move where nobody listens publishes without a subscriber query.
    probes = events.probes(conn, pipeline_id) if deal is not None else []
    for _handler, probe_sql, probe_params in probes:
        fact_columns = [*fact_columns, probe_sql]
        params = [*params, *probe_params]
    sql = (
        f"SELECT {', '.join([stage.sql, req.sql, field.sql, *fact_columns])}"
        f" FROM {q(Stage)} s"
        f" LEFT JOIN {q(StageRequirement)} r"
        f" ON r.{q(StageRequirement, 'stage')} = s.{q(Stage, 'id')}"
        f" LEFT JOIN {q(CustomField)} f"
        f" ON f.{q(CustomField, 'id')} = r.{q(StageRequirement, 'custom_field')}"
        f" WHERE s.{q(Stage, 'pipeline')} = %s"
        f" ORDER BY s.{q(Stage, 'position')}, s.{q(Stage, 'id')},"
        f" r.{q(StageRequirement, 'position')}, r.{q(StageRequirement, 'id')}"
    )
    with conn.cursor() as cursor:
        cursor.execute(sql, [*params, pipeline_id])
        rows = cursor.fetchall()
    n_stage, n_req, n_field = len(stage.names), len(req.names), len(field.names)
    end = n_stage + n_req + n_field
    stages: dict[int, Stage] = {}
    by_stage: dict[int, list[StageRequirement]] = {}
    done_kinds: set[str] = set()
    confirmed: set[int] = set()
    for row in rows:
        stage_id = row[0]
        if stage_id not in stages:
            stages[stage_id] = stage.build(conn.alias, list(row[:n_stage]))
            by_stage[stage_id] = []
        if row[n_stage] is None:  # a stage without requirements
            continue
        requirement = req.build(conn.alias, list(row[n_stage:n_stage + n_req]))
        if requirement.custom_field_id is not None:
            requirement.custom_field = field.build(conn.alias, list(row[n_stage + n_req:end]))
        by_stage[stage_id].append(requirement)
        if deal is not None:
            if row[end]:
                done_kinds.add(requirement.task_kind)
            if row[end + 1]:
                confirmed.add(requirement.pk)
    facts = None
    if deal is not None:
        paid = rows[0][end + 3] if rows else None
        if paid is not None:
            paid = sum_converter(conn, Deal.payments.rel.related_model, "amount")(paid)
        # Only the task kinds and facts the requirements name: all that _holds asks about.
        facts = _Facts(deal, contact=bool(rows and rows[0][end + 2]),
                       tasks=done_kinds, paid=paid or Decimal("0"), facts=confirmed)
        if rows:
            answers = {handler: rows[0][end + 4 + i]
                       for i, (handler, _sql, _params) in enumerate(probes)}
            facts.silent = frozenset(h for h, answer in answers.items() if not answer)
            facts.hints = {h: answer for h, answer in answers.items() if answer}
    return list(stages.values()), by_stage, facts


def pipeline_layout(pipeline_id: int) -> tuple[list[Stage], dict[int, list[StageRequirement]]]:
    """The pipeline's stages in order, and each stage's exit requirements with their custom
    fields, in one query. Every move reads this; as three ORM queries (stages, requirements,
    custom fields) it cost a move more than its gates and writes together (bench/moves.py).
    Equal instances, in the same order, as ``Stage.objects`` and ``stage_requirements``."""
    stages, by_stage, _facts = _read_layout(pipeline_id, None)
    return stages, by_stage


def deal_locked(pk: int) -> Deal | None:
    """The deal under a row lock (``FOR UPDATE`` of its row alone, where the database has row
    locks; SQLite's IMMEDIATE transaction already holds the write lock), or None. Written out:
    every move starts with it, and the ORM's query building cost as much as the statement."""
    conn = connections[router.db_for_write(Deal)]
    columns = Columns(Deal, "d", [f.attname for f in Deal._meta.concrete_fields], conn)
    lock = " FOR UPDATE" if conn.features.has_select_for_update else ""
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT {columns.sql} FROM {quoted(conn, Deal)} d"
                       f" WHERE d.{quoted(conn, Deal, 'id')} = %s{lock}", [pk])
        row = cursor.fetchone()
    return None if row is None else columns.build(conn.alias, list(row))


def deal_layout(deal: Deal) -> tuple[list[Stage], dict[int, list[StageRequirement]], Facts]:
    """``pipeline_layout`` of the deal's pipeline and, in the same query, the deal's facts
    those requirements ask about: (stages, requirements, facts for ``checklist``). Read after
    the deal's row lock, like the separate fact queries it replaces."""
    return _read_layout(deal.pipeline_id, deal)


def stage_requirements(stages: Sequence[Stage]) -> dict[int, list[StageRequirement]]:
    by_stage: dict[int, list[StageRequirement]] = {s.pk: [] for s in stages}
    reqs = (StageRequirement.objects.filter(stage__in=[s.pk for s in stages])
            .select_related("custom_field").order_by("position", "id"))
    for req in reqs:
        by_stage[req.stage_id].append(req)
    return by_stage


def checklist(deal: Deal, stages: Sequence[Stage],
              requirements: dict[int, list[StageRequirement]] | None = None,
              facts: _Facts | None = None) -> list[tuple[Stage, StageRequirement, bool]]:
    """Every requirement of ``stages`` with whether it holds for ``deal`` now.
    ``requirements`` and ``facts`` (from ``deal_layout``) save reading them again."""
    facts = facts if facts is not None else _Facts(deal)
    by_stage = requirements if requirements is not None else stage_requirements(stages)
    return [(stage, req, _holds(deal, req, facts)) for stage in stages
            for req in by_stage[stage.pk]]


def missing_facts(deal: Deal, stages: Sequence[Stage],
                  requirements: dict[int, list[StageRequirement]] | None = None,
                  facts: _Facts | None = None) -> list[MissingFact]:
    """The requirements of ``stages`` that do not hold, as structured, bilingual facts."""
    return [
        MissingFact(code=req.kind, stage_id=stage.pk, requirement_id=req.pk,
                    message=_message(req, stage))
        for stage, req, ok in checklist(deal, stages, requirements, facts) if not ok
    ]
