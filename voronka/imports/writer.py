"""Writing validated records in batches: companies and contacts found or created (contacts
deduplicated by normalised phone/e-mail with capture's rule), deals with their transitions.

Runs inside the caller's transaction; bulk inserts keep 100,000 rows to minutes' fraction."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q

from voronka.capture.dedupe import contact_match
from voronka.crm.models import Company, Contact, ContactEmail, ContactPhone, ContactRole
from voronka.deals import gates
from voronka.deals.models import Deal, DealContact, Transition

from .models import ImportedRecord
from .rows import CompanyRef, PersonRef, Record

BATCH = 2000


class Writer:
    def __init__(self, *, actor, source: str, kind: str, run=None) -> None:
        self.actor, self.source, self.kind, self.run = actor, source, kind, run
        self.companies: dict[str, int] = {}  # "inn:…" / "name:…" → id, this run
        self.people: dict[str, int] = {}  # phone or e-mail → contact id, this run
        self.counts = {"created": 0, "companies_created": 0, "companies_matched": 0,
                       "contacts_created": 0, "contacts_matched": 0, "transitions": 0,
                       "facts_unverified": 0}

    # --- companies ------------------------------------------------------------------------
    def _company_keys(self, ref: CompanyRef) -> list[str]:
        keys = [f"inn:{ref.inn}"] if ref.inn else []
        return [*keys, f"name:{ref.name.strip().lower()}"]

    def resolve_companies(self, records: list[Record]) -> dict[int, int]:
        """Row → company id: an existing company with the same INN (else the same name), or
        a new one."""
        refs = [(r, r.company) for r in records if r.company is not None and r.company.name]
        inns = {c.inn for _r, c in refs if c.inn} - {k[4:] for k in self.companies}
        names = {c.name for _r, c in refs}
        if inns or names:
            for pk, inn, name in (Company.objects.filter(Q(inn__in=inns) | Q(name__in=names))
                                  .order_by("-id").values_list("id", "inn", "name")):
                if inn:
                    self.companies[f"inn:{inn}"] = pk
                self.companies[f"name:{name.strip().lower()}"] = pk
        out: dict[int, int] = {}
        new: list[tuple[Record, CompanyRef, Company]] = []
        pending: dict[str, Company] = {}
        for rec, ref in refs:
            keys = self._company_keys(ref)
            found = next((self.companies[k] for k in keys if k in self.companies), None)
            if found is not None:
                out[rec.row] = found
                self.counts["companies_matched"] += 1
                continue
            obj = next((pending[k] for k in keys if k in pending), None)
            if obj is None:
                obj = Company(name=ref.name, inn=ref.inn, website=ref.website,
                              address=ref.address, owner=rec.values.get("owner"),
                              created_at=rec.values["created_at"])
                for k in keys:
                    pending[k] = obj
            new.append((rec, ref, obj))
        unique = list({id(o): o for _r, _c, o in new}.values())
        Company.objects.bulk_create(unique, batch_size=BATCH)
        self.counts["companies_created"] += len(unique)
        for rec, ref, obj in new:
            out[rec.row] = obj.pk
            for k in self._company_keys(ref):
                self.companies[k] = obj.pk
        return out

    # --- contacts -------------------------------------------------------------------------
    def resolve_contacts(self, records: list[Record], companies: dict[int, int]
                         ) -> dict[int, int]:
        """Row → contact id. A phone or e-mail already known (in the database: capture's
        ``contact_match``; earlier in this file: the run's index) is the same contact."""
        refs = [(r, r.contact) for r in records if r.contact is not None]
        phones = {p for _r, c in refs for p in c.phones}
        emails = {e for _r, c in refs for e in c.emails}
        # One query tells which keys exist at all; only those rows ask contact_match.
        known = set(ContactPhone.objects.filter(number__in=phones)
                    .values_list("number", flat=True)) if phones else set()
        if emails:
            known |= set(ContactEmail.objects.filter(email__in=emails)
                         .values_list("email", flat=True))
        out: dict[int, int] = {}
        new: list[tuple[Record, PersonRef, Contact]] = []
        pending: dict[str, Contact] = {}
        extra_phones: list[ContactPhone] = []
        extra_emails: list[ContactEmail] = []
        for rec, ref in refs:
            keys = [*ref.phones, *ref.emails]
            found = next((self.people[k] for k in keys if k in self.people), None)
            if found is None and any(k in known for k in keys):
                match = contact_match(phones=ref.phones, emails=ref.emails)
                found = match.pk if match else None
            if found is not None:
                out[rec.row] = found
                self.counts["contacts_matched"] += 1
                # What the file knows more about the person is added, nothing is replaced.
                extra_phones += [ContactPhone(contact_id=found, number=p) for p in ref.phones]
                extra_emails += [ContactEmail(contact_id=found, email=e) for e in ref.emails]
                for k in keys:
                    self.people[k] = found
                continue
            obj = next((pending[k] for k in keys if k in pending), None)
            if obj is None:
                obj = Contact(full_name=ref.full_name, position=ref.position,
                              company_id=companies.get(rec.row),
                              owner=rec.values.get("owner"),
                              created_at=rec.values["created_at"])
                obj._phones, obj._emails = [], []  # noqa: SLF001
                for k in keys:
                    pending[k] = obj
            else:
                self.counts["contacts_matched"] += 1
            obj._phones += [p for p in ref.phones if p not in obj._phones]  # noqa: SLF001
            obj._emails += [e for e in ref.emails if e not in obj._emails]  # noqa: SLF001
            new.append((rec, ref, obj))
        unique = list({id(o): o for _r, _c, o in new}.values())
        Contact.objects.bulk_create(unique, batch_size=BATCH)
        self.counts["contacts_created"] += len(unique)
        for obj in unique:
            extra_phones += [ContactPhone(contact_id=obj.pk, number=p) for p in obj._phones]  # noqa: SLF001
            extra_emails += [ContactEmail(contact_id=obj.pk, email=e) for e in obj._emails]  # noqa: SLF001
            for k in [*obj._phones, *obj._emails]:  # noqa: SLF001
                self.people[k] = obj.pk
        ContactPhone.objects.bulk_create(extra_phones, batch_size=BATCH, ignore_conflicts=True)
        ContactEmail.objects.bulk_create(extra_emails, batch_size=BATCH, ignore_conflicts=True)
        for rec, _ref, obj in new:
            out[rec.row] = obj.pk
        return out

    # --- the three kinds ------------------------------------------------------------------
    def _remember(self, pairs: list[tuple[str, int]]) -> None:
        ImportedRecord.objects.bulk_create(
            [ImportedRecord(source=self.source, kind=self.kind, external_id=ext, object_id=pk,
                            run=self.run) for ext, pk in pairs if ext], batch_size=BATCH)

    def write_companies(self, records: list[Record]) -> None:
        ids = self.resolve_companies(records)
        self.counts["created"] = self.counts["companies_created"]
        self._remember([(r.external_id, ids[r.row]) for r in records if r.row in ids])

    def write_contacts(self, records: list[Record]) -> None:
        companies = self.resolve_companies(records)
        ids = self.resolve_contacts(records, companies)
        self.counts["created"] = self.counts["contacts_created"]
        self._remember([(r.external_id, ids[r.row]) for r in records if r.row in ids])

    def write_deals(self, records: list[Record]) -> None:
        companies = self.resolve_companies(records)
        contacts = self.resolve_contacts(records, companies)
        deals = [self._deal(rec, companies.get(rec.row), rec.row in contacts)
                 for rec in records]
        Deal.objects.bulk_create(deals, batch_size=BATCH)
        links, moves = [], []
        for rec, deal in zip(records, deals, strict=True):
            if rec.row in contacts:
                links.append(DealContact(deal_id=deal.pk, contact_id=contacts[rec.row],
                                         role=ContactRole.OTHER))
            moves += self._transitions(rec, deal)
        DealContact.objects.bulk_create(links, batch_size=BATCH)
        Transition.objects.bulk_create(moves, batch_size=BATCH)
        self.counts["created"] += len(deals)
        self.counts["transitions"] += len(moves)
        self._remember([(r.external_id, d.pk) for r, d in zip(records, deals, strict=True)])

    def _deal(self, rec: Record, company_id: int | None, has_contact: bool) -> Deal:
        v = rec.values
        info = v["info"]
        stages = info.stages
        index = {s.pk: i for i, s in enumerate(stages)}
        stage = v["stage"]
        if v["status"] == "won":
            stage = stages[-1]
        elif stage is None:
            # No stage named: the deal provably reached only where its history ends, or the
            # first stage; nothing further is claimed.
            stage = rec.history[-1][1] if rec.history else stages[0]
        reached = [index[stage.pk], *(index[t.pk] for _f, t, _at in rec.history)]
        furthest = stages[max(reached)]
        entered = v["created_at"]
        for _f, to, at in rec.history:
            if to.pk == stage.pk:
                entered = at
        deal = Deal(
            title=v["title"], pipeline=v["pipeline"], stage=stage, furthest_stage=furthest,
            status=v["status"], budget=v["budget"], owner=v["owner"], company_id=company_id,
            source=v["source"], expected_close_date=v["expected_close_date"],
            custom_fields=v["custom_fields"], created_at=v["created_at"], created_by=self.actor,
            stage_entered_at=entered, closed_at=v["closed_at"], loss_reason=v["loss_reason"],
            loss_comment=v["loss_comment"] if v["status"] == "lost" else "",
            **{u: v[u] for u in ("utm_source", "utm_medium", "utm_campaign", "utm_term",
                                 "utm_content")})
        # The stages the deal has left (all of them once won) must show their exit facts;
        # an import brings no tasks, payments or confirmations, so those read as missing.
        passed = stages if v["status"] == "won" else stages[:index[stage.pk]]
        facts = gates._Facts(deal)  # noqa: SLF001 - the gates' own rule, facts known here
        facts._cache.update(contact=has_contact, tasks=set(), paid=0, facts=set())  # noqa: SLF001
        deal.facts_unverified = any(not gates._holds(deal, req, facts)  # noqa: SLF001
                                    for s in passed for req in info.requirements[s.pk])
        if deal.facts_unverified:
            self.counts["facts_unverified"] += 1
        return deal

    def _transitions(self, rec: Record, deal: Deal) -> list[Transition]:
        """Placement on stages is "imported"; a close is recorded as the win or loss it was,
        so the reports count it."""
        common = {"deal_id": deal.pk, "pipeline_id": deal.pipeline_id, "by": None,
                  "owner_id": deal.owner_id, "budget": deal.budget}
        stages = rec.values["info"].stages
        out: list[Transition] = []
        if rec.history:
            first = rec.history[0][0]
            out.append(Transition(kind=Transition.Kind.IMPORTED, from_stage=None,
                                  to_stage=first, at=deal.created_at, **common))
            for from_stage, to_stage, at in rec.history:
                out.append(Transition(kind=Transition.Kind.IMPORTED, from_stage=from_stage,
                                      to_stage=to_stage, at=at, **common))
            if rec.history[-1][1].pk != deal.stage_id and deal.status != "won":
                out.append(Transition(kind=Transition.Kind.IMPORTED,
                                      from_stage=rec.history[-1][1], to_stage=deal.stage,
                                      at=rec.history[-1][2], **common))
        else:
            placed = deal.stage if deal.status != "won" else (rec.values["stage"] or stages[0])
            out.append(Transition(kind=Transition.Kind.IMPORTED, from_stage=None,
                                  to_stage=placed, at=deal.created_at, **common))
        if deal.status != "open":
            last = out[-1].to_stage
            seconds = max(0, int((deal.closed_at - out[-1].at).total_seconds()))
            out.append(Transition(
                kind=deal.status, from_stage=last,
                to_stage=stages[-1] if deal.status == "won" else deal.stage,
                at=deal.closed_at, seconds_in_stage=seconds, loss_reason=deal.loss_reason,
                comment=deal.loss_comment, **common))
        return out


ProgressFn = Callable[[str, int, int], None]
