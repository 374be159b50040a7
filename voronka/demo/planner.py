"""The demo's history, planned before anything is written: for every deal, when it arrives,
whose it is, and what happens to it — moves (advance or skip), loss with a reason, reopening
(by its owner, or by a "barrel" manager the head hands it to), win, or still open on a stage.

Pure and deterministic: one ``random.Random(seed)`` and the build moment ``as_of`` decide
everything, so two builds with the same arguments plan the same history.
"""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass, field

from . import people
from .funnels import FUNNELS, FunnelSpec
from .leads import Lead, creation_times, new_lead, repeat_lead, working_time
from .profiles import PROFILES, Profile

DAY = datetime.timedelta(days=1)
SKIP_CHANCE = 0.03  # a deal whose next stage's facts came together with this one's
REPEAT_SKIP_CHANCE = 0.5  # an existing client: the first stages' facts are quick


@dataclass(frozen=True)
class Event:
    kind: str  # move | won | lost | reopen | handover
    at: datetime.datetime
    stage: int  # the stage after the event
    reason: str = ""
    owner: str = ""  # handover: the new owner's e-mail


@dataclass
class DealPlan:
    index: int
    funnel: FunnelSpec
    owner: str
    created_at: datetime.datetime
    lead: Lead
    repeat_of: int | None = None  # an earlier deal whose company and contact are reused
    events: list[Event] = field(default_factory=list)
    outcome: str = "open"  # open | won | lost
    stage: int = 0  # where the deal ends up (open, or lost on it; the last one if won)
    seed: int = 0  # for the activities (calls, notes…) written along the history
    forced: bool = False

    @property
    def final_owner(self) -> str:
        """The owner at the end: the head may have handed the deal to someone else."""
        handovers = [e.owner for e in self.events if e.kind == "handover"]
        return handovers[-1] if handovers else self.owner


def _dwell(funnel: FunnelSpec, profile: Profile, index: int,
           rng: random.Random) -> datetime.timedelta:
    median = funnel.stages[index].dwell_days * profile.dwell_factor(index, len(funnel.stages))
    days = median * math.exp(rng.gauss(0.0, 0.75))
    return max(datetime.timedelta(minutes=20), days * DAY)


def _reason(funnel: FunnelSpec, index: int, rng: random.Random) -> str:
    x = index / (len(funnel.stages) - 1)
    weights = [r.early + (r.late - r.early) * x for r in funnel.reasons]
    return rng.choices(funnel.reasons, weights=weights)[0].name


class Planner:
    def __init__(self, *, seed: int, deals: int, as_of: datetime.datetime) -> None:
        self.rng = random.Random(seed)
        self.total = deals
        self.as_of = as_of
        self.names = people.CompanyNames()
        self.staff = {s.email: s for s in people.STAFF}

    # --- who works which funnel -----------------------------------------------------------
    def _owners(self, funnel: FunnelSpec) -> tuple[list[str], list[float]]:
        emails, weights = [], []
        for s in people.STAFF:
            if s.team != funnel.key:
                continue
            profile = PROFILES[s.profile or "head"]
            emails.append(s.email)
            weights.append(profile.volume)
        return emails, weights

    def profile(self, email: str) -> Profile:
        return PROFILES[self.staff[email].profile or "head"]

    def _archive_taker(self, funnel: FunnelSpec, owner: str) -> str | None:
        for s in people.STAFF:
            if (s.team == funnel.key and s.email != owner and s.profile
                    and PROFILES[s.profile].takes_archive):
                return s.email
        return None

    # --- the plan -------------------------------------------------------------------------
    def plan(self) -> list[DealPlan]:
        counts = [round(self.total * f.share) for f in FUNNELS]
        counts[-1] = self.total - sum(counts[:-1])
        arrivals = []
        for funnel, count in zip(FUNNELS, counts, strict=True):
            owners, weights = self._owners(funnel)
            for at in creation_times(funnel, count, self.as_of, self.rng):
                arrivals.append((at, funnel, self.rng.choices(owners, weights=weights)[0]))
        arrivals.sort(key=lambda a: (a[0], a[1].key, a[2]))
        plans: list[DealPlan] = []
        won_by_funnel: dict[str, list[DealPlan]] = {f.key: [] for f in FUNNELS}
        for index, (at, funnel, owner) in enumerate(arrivals):
            plan = DealPlan(index=index, funnel=funnel, owner=owner, created_at=at,
                            lead=new_lead(funnel, self.rng, self.names),
                            seed=self.rng.randrange(2 ** 31))
            self._maybe_repeat(plan, won_by_funnel[funnel.key])
            self._walk(plan)
            if plan.outcome == "won" and funnel.b2b:
                won_by_funnel[funnel.key].append(plan)
            plans.append(plan)
        for funnel, count in zip(FUNNELS, counts, strict=True):
            self._cover(plans, funnel, need=max(1, round(count / 150)))
        return plans

    def _maybe_repeat(self, plan: DealPlan, won: list[DealPlan]) -> None:
        """An existing client of the same manager orders again (the "skirt" manager lives
        on these; a manager works only with clients they can see)."""
        profile = self.profile(plan.owner)
        earlier = [p for p in won if p.final_owner == plan.owner
                   and p.events and p.events[-1].at < plan.created_at]
        if not earlier or self.rng.random() >= profile.repeat:
            return
        previous = self.rng.choice(earlier[-40:])
        plan.repeat_of = previous.index
        plan.lead = repeat_lead(plan.funnel, plan.lead, previous.lead)

    def _walk(self, plan: DealPlan) -> None:
        """Stage by stage from arrival: stay, then go on or be lost; maybe reopened."""
        rng, funnel = self.rng, plan.funnel
        last = len(funnel.stages) - 1
        index, t, owner, reopened = 0, plan.created_at, plan.owner, False
        while True:
            profile = self.profile(owner)
            leave = working_time(t + _dwell(funnel, profile, index, rng), funnel, rng)
            if leave >= self.as_of:
                plan.outcome, plan.stage = "open", index
                return
            base = funnel.stages[index].conversion
            if rng.random() < profile.conversion(base, index, last + 1):
                if index == last:
                    plan.events.append(Event("won", leave, index))
                    plan.outcome, plan.stage = "won", index
                    return
                step = 1
                skip = REPEAT_SKIP_CHANCE if (plan.repeat_of is not None
                                              and index < last // 2) else SKIP_CHANCE
                if index + 2 <= last and rng.random() < skip:
                    step = 2
                index += step
                plan.events.append(Event("move", leave, index))
                t = leave
                continue
            plan.events.append(Event("lost", leave, index, reason=_reason(funnel, index, rng)))
            plan.outcome, plan.stage = "lost", index
            if reopened:
                return
            taker = self._archive_taker(funnel, owner)
            middle = 0 < index < last
            back = working_time(leave + rng.uniform(7, 60) * DAY, funnel, rng)
            if back >= self.as_of:
                return
            if (middle and taker and rng.random() < 0.6 * PROFILES["barrel"].reopen[1]):
                # The head hands the archived client to the manager who revives them.
                plan.events.append(Event("handover", back - datetime.timedelta(hours=2),
                                         index, owner=taker))
                owner = taker
            elif rng.random() >= profile.reopen_chance(index, last + 1):
                return
            plan.events.append(Event("reopen", back, index))
            t, reopened = back, True

    # --- every stage shows open deals -----------------------------------------------------
    def _cover(self, plans: list[DealPlan], funnel: FunnelSpec, need: int) -> None:
        """Make sure every stage holds at least ``need`` open deals, by re-planning the
        closed deals whose age best fits the time it takes to get that far."""
        mine = [p for p in plans if p.funnel is funnel]
        referenced = {p.repeat_of for p in plans if p.repeat_of is not None}
        medians = [s.dwell_days for s in funnel.stages]
        for index in range(len(funnel.stages)):
            have = sum(1 for p in mine if p.outcome == "open" and p.stage == index)
            for _ in range(need - have):
                target = (sum(medians[:index]) * 1.3 + medians[index]) * DAY
                candidates = [p for p in mine if p.outcome != "open" and not p.forced
                              and p.index not in referenced
                              and self.as_of - p.created_at > sum(medians[:index]) * DAY]
                if not candidates:
                    break
                best = min(candidates, key=lambda p: (abs(self.as_of - p.created_at - target),
                                                      p.index))
                self._force_open(best, index)

    def _force_open(self, plan: DealPlan, index: int) -> None:
        """Re-plan ``plan`` to advance straight to stage ``index`` and sit there now."""
        rng, funnel = self.rng, plan.funnel
        plan.events, plan.outcome, plan.stage, plan.forced = [], "open", index, True
        age = self.as_of - plan.created_at
        sitting = min(age * rng.uniform(0.2, 0.5),
                      funnel.stages[index].dwell_days * rng.uniform(0.3, 2.5) * DAY)
        shares = [funnel.stages[i].dwell_days * rng.uniform(0.5, 1.5) for i in range(index)]
        span, raw, t = age - sitting, [], plan.created_at
        for share in shares:
            t += span * (share / sum(shares))
            raw.append(t.replace(microsecond=0))
        raw.append(self.as_of - sitting * 0.5)
        previous = plan.created_at
        for i in range(index):
            moment = working_time(raw[i], funnel, rng)
            if not previous < moment < raw[i + 1]:
                moment = raw[i]  # keep the order: a rare after-hours move
            plan.events.append(Event("move", moment, i + 1))
            previous = moment
