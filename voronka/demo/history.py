"""Writing one planned deal's history through the services, back-dated.

A deal leaves a stage only after the facts its requirements ask for have really been put
in place, at times before the move: the budget and fields filled, the company attached,
the task of the required kind done, the payments recorded, the named fact confirmed.
Along the way the manager calls the client (minutes, with the stage at call time), plans
the next agreement as a task ("Договориться…"), and writes notes.
"""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass, field
from decimal import ROUND_UP, Decimal
from typing import Any

from voronka.accounts.models import User
from voronka.activities.models import Call
from voronka.activities.services import call_log, note_create, task_complete, task_create
from voronka.crm.models import Company, Contact
from voronka.crm.services import company_create, contact_create
from voronka.deals.models import Deal
from voronka.deals.services import (
    deal_archive,
    deal_create,
    deal_fact_confirm,
    deal_move,
    deal_reopen,
    deal_update,
    deal_win,
    payment_create,
)
from voronka.pipelines.models import LossReason, Pipeline, Stage, StageRequirement

from . import texts
from .leads import working_time
from .planner import DealPlan, Event, Planner

Kind = StageRequirement.Kind
MINUTE = datetime.timedelta(minutes=1)
CENT = Decimal("0.01")


@dataclass
class Funnel:
    """A demo funnel as stored: its pipeline, stages, requirements and loss reasons."""

    pipeline: Pipeline
    stages: list[Stage]
    requirements: list[list[StageRequirement]]
    reasons: dict[str, LossReason]
    head: User

    @classmethod
    def load(cls, pipeline: Pipeline, head: User) -> Funnel:
        stages = list(pipeline.stages.order_by("position", "id"))
        reqs = {s.pk: [] for s in stages}
        for req in (StageRequirement.objects.filter(stage__pipeline=pipeline)
                    .select_related("custom_field").order_by("position", "id")):
            reqs[req.stage_id].append(req)
        return cls(pipeline, stages, [reqs[s.pk] for s in stages],
                   {r.name: r for r in pipeline.loss_reasons.all()}, head)


@dataclass
class World:
    planner: Planner
    funnels: dict[str, Funnel]
    users: dict[str, User]
    companies: dict[int, Company] = field(default_factory=dict)
    contacts: dict[int, list[Contact]] = field(default_factory=dict)


def _between(a: datetime.datetime, b: datetime.datetime, low: float,
             high: float, rng: random.Random) -> datetime.datetime:
    return (a + (b - a) * rng.uniform(low, high)).replace(microsecond=0)


class DealWriter:
    def __init__(self, world: World, plan: DealPlan) -> None:
        self.world, self.plan = world, plan
        self.spec, self.lead = plan.funnel, plan.lead
        self.funnel = world.funnels[plan.funnel.key]
        self.rng = random.Random(plan.seed)
        self.owner = world.users[plan.owner]
        self.as_of = world.planner.as_of
        self.paid = Decimal("0")
        self.deal: Deal
        self.company: Company | None = None
        self.contacts: list[Contact] = []
        self.done_kinds: set[str] = set()  # kinds of tasks really done (not cancelled)
        # Leads from forms, callback requests and telephony are opened by the system (actor
        # None) and handed to their owner; the rest the manager opens himself.
        self.opener: User | None = None if plan.lead.source.captured else self.owner

    # --- arrival --------------------------------------------------------------------------
    def _people(self) -> None:
        plan, lead, at = self.plan, self.lead, self.plan.created_at - 3 * MINUTE
        if plan.repeat_of is not None:
            self.company = self.world.companies.get(plan.repeat_of)
            self.contacts = self.world.contacts.get(plan.repeat_of, [])[:1]
            return
        if lead.company is not None and self.rng.random() < texts.COMPANY_AT_START[self.spec.key]:
            self._make_company(at)
        for cp in lead.contacts:
            self.contacts.append(contact_create(
                actor=self.opener, full_name=cp.person.full_name, phones=cp.phones,
                emails=cp.emails, position=cp.position, company=self.company, owner=self.owner,
                created_at=at))

    def _make_company(self, at: datetime.datetime) -> Company:
        data = self.lead.company
        assert data is not None
        opener = self.opener if at <= self.plan.created_at else self.owner
        self.company = company_create(actor=opener, name=data.name, inn=data.inn,
                                      website=data.website, address=data.address,
                                      owner=self.owner, created_at=at)
        return self.company

    def create(self) -> Deal:
        plan, lead, spec, rng = self.plan, self.lead, self.spec, self.rng
        self._people()
        repeat = plan.repeat_of is not None
        budget = lead.budget if repeat or rng.random() < texts.BUDGET_AT_START[spec.key] \
            else Decimal("0")
        custom = {c: lead.custom[c] for c, s in texts.FIELD_STAGE[spec.key].items()
                  if s < 0 and c in lead.custom}
        close = None
        if spec.b2b:
            cycle = sum(s.dwell_days for s in spec.stages) * rng.uniform(0.8, 1.6)
            close = (plan.created_at + datetime.timedelta(days=cycle)).date()
        roles = [cp.role for cp in lead.contacts]
        self.deal = deal_create(
            actor=self.opener, pipeline=self.funnel.pipeline, title=lead.title, owner=self.owner,
            budget=budget, company=self.company, source=lead.source.name, utm=lead.utm,
            contacts=list(zip(self.contacts, roles, strict=False)), custom_fields=custom,
            expected_close_date=close, created_at=plan.created_at)
        if self.company is not None:
            self.world.companies.setdefault(plan.index, self.company)
        self.world.contacts[plan.index] = self.contacts
        return self.deal

    # --- the history ----------------------------------------------------------------------
    def write(self) -> Deal:
        self.create()
        stage, entered, is_open, first = 0, self.plan.created_at, True, True
        for event in self.plan.events:
            if is_open and event.kind != "handover":
                self._stay(stage, entered, event.at, event, first)
                first = False
            self._apply(event)
            if event.kind in ("move", "reopen"):
                stage, entered, is_open = event.stage, event.at, True
            elif event.kind in ("lost", "won"):
                is_open = False
        if is_open:
            self._stay(stage, entered, self.as_of, None, first)
        return self.deal

    def _apply(self, event: Event) -> None:
        deal, owner, at = self.deal, self.owner, event.at
        if event.kind == "move":
            deal_move(deal=deal, to_stage=self.funnel.stages[event.stage], actor=owner, at=at)
        elif event.kind == "won":
            deal_win(deal=deal, actor=owner, at=at)
        elif event.kind == "lost":
            deal_archive(deal=deal, actor=owner, reason=self.funnel.reasons[event.reason],
                         comment=texts.loss_comment(event.reason, self.rng), at=at)
        elif event.kind == "handover":
            self.owner = self.world.users[event.owner]
            self.deal = deal_update(deal=deal, actor=self.funnel.head, owner=self.owner, at=at)
            note_create(actor=self.funnel.head, deal=self.deal, created_at=at,
                        text=texts.HANDOVER_NOTE % {"name": self.owner.full_name})
        elif event.kind == "reopen":
            deal_reopen(deal=deal, actor=owner, at=at, comment=self.rng.choice(texts.REOPEN))

    def _stay(self, index: int, start: datetime.datetime, end: datetime.datetime,
              leaving: Event | None, first: bool) -> None:
        """Everything that happens on stage ``index`` between ``start`` and ``end``."""
        rng, spec = self.rng, self.spec.stages[index]
        self._calls(index, start, end, first)
        kind, text, result = spec.task
        if rng.random() < self.world.planner.profile(self.owner.email).sloppy:
            text = rng.choice(texts.SLOPPY_TASKS)
        contact = self.contacts[0].full_name.split(" ", 1)[1] if self.contacts else ""
        created = min(self._when(start, end, 0.0, 0.05) + MINUTE,
                      _between(start, end, 0.5, 0.5, rng))
        median = datetime.timedelta(days=spec.dwell_days)
        due = working_time(created + median * rng.uniform(0.3, 1.1), self.spec, rng)
        if leaving is None and due < self.as_of and rng.random() >= self._overdue_share():
            due = working_time(self.as_of + datetime.timedelta(hours=rng.uniform(2, 140)),
                               self.spec, rng)
        task = task_create(actor=self.owner, deal=self.deal, kind=kind,
                           text=text.format(contact=contact), due_at=due, created_at=created)
        if leaving is None:
            self._facts(index, index + 1, start, end, partial=True)
            self._note(start, end, 0.12)
            return
        done = self._when(created, end, 0.55, 0.97)
        if leaving.kind == "lost":
            task_complete(task=task, actor=self.owner, done_at=done,
                          result=texts.LOST_RESULT % {"reason": leaving.reason})
            self._note(start, end, 0.35, texts.loss_note(leaving.reason, rng))
            return
        task_complete(task=task, actor=self.owner, done_at=done, result=result)
        self.done_kinds.add(kind)
        target = leaving.stage if leaving.kind == "move" else len(self.funnel.stages)
        self._facts(index, target, done, end, partial=False)
        self._note(start, end, 0.1)

    def _when(self, a: datetime.datetime, b: datetime.datetime, low: float,
              high: float) -> datetime.datetime:
        """A moment between a and b, moved into working hours when that keeps it before b
        (people call, meet and pay by day)."""
        moment = _between(a, b, low, high, self.rng)
        snapped = working_time(moment, self.spec, self.rng)
        return snapped if snapped < b else moment

    def _overdue_share(self) -> float:
        return self.world.planner.profile(self.owner.email).overdue

    # --- calls and notes ------------------------------------------------------------------
    def _calls(self, index: int, start: datetime.datetime, end: datetime.datetime,
               first: bool) -> None:
        if not self.contacts:
            return
        rng, spec = self.rng, self.spec.stages[index]
        span = max((end - start).total_seconds() / 86400, 0.01)
        mean = spec.calls * min(2.0, max(0.5, span / spec.dwell_days))
        count = min(8, _poisson(mean, rng)) + (1 if first else 0)
        moments = sorted(self._when(start, end, 0.0, 1.0) for _ in range(count))
        for n, moment in enumerate(moments):
            if first and n == 0:
                moment = start + MINUTE  # the call that brought the deal in, or the first one
            inbound = first and n == 0 and self.lead.source.calls_in
            answered = inbound or rng.random() < 0.75
            minutes = spec.call_minutes * math.exp(rng.gauss(0.0, 0.7))
            who = 0 if n == 0 else rng.randrange(len(self.contacts))
            call_log(actor=self.owner, deal=self.deal, contact=self.contacts[who],
                     direction=Call.Direction.INBOUND if inbound else Call.Direction.OUTBOUND,
                     phone=self.lead.contacts[who].phones[0], started_at=moment,
                     answered=answered,
                     duration_seconds=max(15, min(5400, int(minutes * 60))) if answered else 0)

    def _note(self, start: datetime.datetime, end: datetime.datetime, chance: float,
              text: str | None = None) -> None:
        if text is None and self.rng.random() >= chance:
            return
        text = text or self.rng.choice(texts.NOTES[self.spec.key])
        note_create(actor=self.owner, deal=self.deal, text=text,
                    created_at=self._when(start, end, 0.1, 0.9))

    # --- the facts that open the gate -----------------------------------------------------
    def _facts(self, first: int, stop: int, start: datetime.datetime,
               end: datetime.datetime, *, partial: bool) -> None:
        """Put in place the facts of stages ``first``..``stop-1`` between start and end.
        ``partial``: the deal stays; only some of the current stage's facts are there yet."""
        rng = self.rng
        changes: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        moments = iter(sorted(self._when(start, end, 0.05, 0.9) for _ in range(12)))
        for index in range(first, stop):
            for code, stage in texts.FIELD_STAGE[self.spec.key].items():
                if stage == index and code not in self.deal.custom_fields \
                        and not (partial and rng.random() < 0.6):
                    custom[code] = self._value(code, end)
            for req in self.funnel.requirements[index]:
                if partial and rng.random() < 0.65:
                    continue
                at = next(moments, end - MINUTE)
                self._fact(req, at, end, changes, custom, partial)
        if custom:
            changes["custom_fields"] = custom
        if changes:
            self.deal = deal_update(deal=self.deal, actor=self.owner,
                                    at=self._when(start, end, 0.93, 0.99), **changes)

    def _fact(self, req: StageRequirement, at: datetime.datetime, end: datetime.datetime,
              changes: dict[str, Any], custom: dict[str, Any], partial: bool) -> None:
        deal = self.deal
        if req.kind == Kind.FIELD_FILLED:
            if req.custom_field_id:
                code = req.custom_field.code
                if code not in deal.custom_fields:
                    custom[code] = self._value(code, end)
            elif req.field_name == "budget" and not deal.budget:
                changes["budget"] = self.lead.budget
        elif req.kind == Kind.COMPANY_ATTACHED and deal.company_id is None:
            changes["company"] = self.company or self._make_company(at)
        elif req.kind == Kind.TASK_COMPLETED and req.task_kind not in self.done_kinds:
            kind_text = texts.EXTRA_TASKS[req.task_kind]
            task = task_create(actor=self.owner, deal=deal, kind=req.task_kind,
                               text=kind_text[0], due_at=at, created_at=at - 120 * MINUTE)
            task_complete(task=task, actor=self.owner, done_at=at, result=kind_text[1])
            self.done_kinds.add(req.task_kind)
        elif req.kind == Kind.PAYMENT_RECEIVED:
            self._pay(req, at, end, partial)
        elif req.kind == Kind.FACT_CONFIRMED:
            deal_fact_confirm(deal=deal, requirement=req, actor=self.owner, at=at,
                              comment=self.rng.choice(texts.FACT_COMMENTS))

    def _pay(self, req: StageRequirement, at: datetime.datetime, end: datetime.datetime,
             partial: bool) -> None:
        budget = self.deal.budget or self.lead.budget
        need = (budget * (req.payment_share or 1)).quantize(CENT, rounding=ROUND_UP)
        if self.paid >= need:
            return
        parts = [need - self.paid]
        if partial:  # the deal stays: part of the money has come, not all of it
            parts = [(parts[0] * Decimal("0.5")).quantize(CENT)]
        elif self.spec.key == "b2b" and req.payment_share == 1 and self.rng.random() < 0.35:
            half = (parts[0] / 2).quantize(CENT)
            parts = [half, parts[0] - half]  # paid in two tranches
        moments = sorted(self._when(at, end, 0.0, 0.95) for _ in parts)
        for amount, moment in zip(parts, moments, strict=True):
            number = 100 + self.plan.index * 3 + len(parts)
            payment_create(deal=self.deal, amount=amount, paid_on=moment.date(),
                           reference=f"п/п № {number} от {moment:%d.%m.%Y}",
                           actor=self.owner, created_at=moment)
            self.paid += amount

    def _value(self, code: str, at: datetime.datetime) -> Any:
        return texts.field_value(code, self.lead.custom, self.plan, at, self.rng)


def _poisson(mean: float, rng: random.Random) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
