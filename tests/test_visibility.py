"""Who sees what: every selector is scoped. A manager never gets another manager's objects;
a head sees the team, not another team; an admin sees everything."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voronka.accounts.models import Role
from voronka.activities.selectors import call_list, task_list
from voronka.activities.services import call_log, task_create
from voronka.core.errors import NotFound
from voronka.crm.selectors import company_get, company_list, contact_get, contact_list
from voronka.crm.services import company_create, contact_create
from voronka.deals.models import DealContact
from voronka.deals.selectors import deal_get, deal_list, deal_timeline, transition_list
from voronka.deals.services import deal_contact_attach, deal_create, deal_update
from voronka.pipelines.selectors import pipeline_get, pipeline_list

from .factories import UserFactory, make_company, make_contact, make_deal, plain_pipeline

DUE = timezone.now() + datetime.timedelta(days=3)


def ids(qs):
    return set(qs.values_list("pk", flat=True))


@pytest.fixture
def world(team, other_team, pipeline, other_pipeline, admin, head, manager, manager2, marketer,
          other_head, other_manager):
    """Two teams, each with its pipeline; one deal (with contact, company, task, call) per
    owner."""
    deals = {}
    for owner, pipe in ((manager, pipeline), (manager2, pipeline), (head, pipeline),
                        (other_manager, other_pipeline), (other_head, other_pipeline)):
        company = make_company(owner)
        contact = make_contact(owner, phones=["+7 916 000-00-0" + str(owner.pk % 10)])
        deal = make_deal(pipe, owner, company=company, contacts=[(contact, "decision_maker")])
        task_create(actor=owner, deal=deal, text="Договориться о встрече", due_at=DUE)
        call_log(actor=owner, direction="outbound", phone="+79160000001",
                 started_at=timezone.now(), duration_seconds=60, deal=deal)
        deals[owner.pk] = deal
    return deals


def test_manager_sees_only_own_deals(world, manager, manager2):
    mine, theirs = world[manager.pk], world[manager2.pk]
    assert ids(deal_list(user=manager)) == {mine.pk}
    assert deal_get(user=manager, pk=mine.pk) == mine
    for pk in (theirs.pk, str(theirs.pk), "abc", None, 10**9):
        with pytest.raises(NotFound):
            deal_get(user=manager, pk=pk)
    # Filters never widen the scope.
    assert ids(deal_list(user=manager, owner_id=manager2.pk)) == set()
    assert ids(deal_list(user=manager, team_id=manager.team_id)) == {mine.pk}
    with pytest.raises(NotFound):
        deal_timeline(user=manager, deal=theirs)


def test_manager_sees_only_own_transitions_tasks_calls_contacts_companies(
        world, manager, manager2):
    mine, theirs = world[manager.pk], world[manager2.pk]
    assert {t.deal_id for t in transition_list(user=manager)} == {mine.pk}
    assert not transition_list(user=manager, deal=theirs).exists()
    assert {t.deal_id for t in task_list(user=manager)} == {mine.pk}
    assert {c.deal_id for c in call_list(user=manager)} == {mine.pk}
    assert ids(contact_list(user=manager)) == set(mine.contacts.values_list("pk", flat=True))
    assert ids(company_list(user=manager)) == {mine.company_id}
    with pytest.raises(NotFound):
        contact_get(user=manager, pk=theirs.contacts.get().pk)
    with pytest.raises(NotFound):
        company_get(user=manager, pk=theirs.company_id)


def test_a_task_assigned_to_me_on_someone_elses_deal_is_mine_to_see(world, manager, manager2,
                                                                     head):
    theirs = world[manager2.pk]
    task = task_create(actor=head, deal=theirs, assignee=manager, text="Помочь с КП",
                       due_at=DUE)
    assert ids(task_list(user=manager)) == {task.pk} | ids(task_list(user=manager).filter(
        deal=world[manager.pk]))
    assert ids(deal_list(user=manager)) == {world[manager.pk].pk}  # the deal stays hidden


def test_head_sees_the_team_not_another_team(world, head, manager, manager2, other_manager,
                                             other_head, other_team):
    team_deals = {world[u.pk].pk for u in (manager, manager2, head)}
    other_deals = {world[u.pk].pk for u in (other_manager, other_head)}
    assert ids(deal_list(user=head)) == team_deals
    assert ids(deal_list(user=other_head)) == other_deals
    assert ids(deal_list(user=head, team_id=other_team.pk)) == set()
    with pytest.raises(NotFound):
        deal_get(user=head, pk=world[other_manager.pk].pk)
    assert {t.deal_id for t in transition_list(user=head)} == team_deals
    assert {t.deal_id for t in task_list(user=head)} == team_deals
    assert {c.deal_id for c in call_list(user=head)} == team_deals
    assert ids(company_list(user=head)) == {world[u.pk].company_id
                                            for u in (manager, manager2, head)}
    assert ids(contact_list(user=head)) == set(DealContact.objects.filter(
        deal_id__in=team_deals).values_list("contact_id", flat=True))


def test_admin_and_marketer_scopes(world, admin, marketer):
    assert ids(deal_list(user=admin)) == {d.pk for d in world.values()}
    team_deals = {d.pk for d in world.values() if d.pipeline.team_id == marketer.team_id}
    assert ids(deal_list(user=marketer)) == team_deals
    assert len(team_deals) == 3


def test_inactive_user_sees_nothing(world, manager):
    manager.is_active = False
    manager.save()
    assert not deal_list(user=manager).exists()
    assert not transition_list(user=manager).exists()


def test_pipelines_of_the_own_team_only(pipeline, other_pipeline, manager, head, other_head,
                                        admin, marketer):
    assert ids(pipeline_list(user=manager)) == {pipeline.pk}
    assert ids(pipeline_list(user=head)) == {pipeline.pk}
    assert ids(pipeline_list(user=other_head)) == {other_pipeline.pk}
    assert ids(pipeline_list(user=marketer)) == {pipeline.pk}
    assert ids(pipeline_list(user=admin)) == {pipeline.pk, other_pipeline.pk}
    assert pipeline_get(user=manager, pk=pipeline.pk) == pipeline
    with pytest.raises(NotFound):
        pipeline_get(user=manager, pk=other_pipeline.pk)


def test_handing_a_deal_over_moves_it_out_of_sight(world, manager, manager2, head):
    deal = world[manager.pk]
    deal_update(deal=deal, actor=head, owner=manager2)
    assert ids(deal_list(user=manager)) == set()
    assert deal.pk in ids(deal_list(user=manager2))


# --- property: random owners and teams, every selector stays inside the allowed set ---------

def _sees_deal(user, deal) -> bool:
    if not user.is_active:
        return False
    if user.is_admin:
        return True
    if user.role == Role.MANAGER:
        return deal.owner_id == user.pk
    if user.role == Role.MARKETER and user.team_id is None:
        return True
    if user.role == Role.HEAD:
        return user.team_id in (deal.pipeline.team_id, deal.owner.team_id)
    return deal.pipeline.team_id == user.team_id


def _sees_party(user, party, deals) -> bool:
    """A contact or company: the reader's own, the team's (a head), or on a visible deal."""
    if user.is_admin or (user.role == Role.MARKETER and user.team_id is None):
        return True
    if party.owner_id == user.pk:
        return True
    if user.role == Role.HEAD and party.owner is not None and party.owner.team_id == user.team_id:
        return True
    return any(_sees_deal(user, d) for d in deals)


@pytest.fixture
def cast(team, other_team, pipeline, other_pipeline, admin, head, manager, manager2, marketer,
         other_head, other_manager):
    loose_marketer = UserFactory(role=Role.MARKETER, team=None)
    third = plain_pipeline(other_team, 4)
    owners = [manager, manager2, head, other_manager, other_head, admin]
    readers = owners + [marketer, loose_marketer]
    return {"pipelines": [pipeline, other_pipeline, third], "owners": owners,
            "readers": readers}


deal_specs = st.lists(
    st.fixed_dictionaries({
        "pipeline": st.integers(0, 2),
        "owner": st.integers(0, 5),
        "company_owner": st.none() | st.integers(0, 5),
        "contact_owner": st.none() | st.integers(0, 5),
        "assignee": st.none() | st.integers(0, 5),
    }),
    max_size=7,
)


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                  HealthCheck.too_slow])
@given(specs=deal_specs)
def test_every_selector_stays_inside_the_allowed_set(cast, specs):
    owners, readers = cast["owners"], cast["readers"]
    with transaction.atomic():
        deals, tasks, contacts, companies = [], [], {}, {}
        for spec in specs:
            owner = owners[spec["owner"]]
            company = None
            if spec["company_owner"] is not None:
                company = company_create(actor=None, name="ООО Ромашка",
                                         owner=owners[spec["company_owner"]])
                companies[company.pk] = (company, [])
            deal = deal_create(actor=None, pipeline=cast["pipelines"][spec["pipeline"]],
                               title="Сделка", owner=owner, company=company)
            deals.append(deal)
            if company is not None:
                companies[company.pk][1].append(deal)
            if spec["contact_owner"] is not None:
                contact = contact_create(actor=None, full_name="Иван",
                                         owner=owners[spec["contact_owner"]])
                deal_contact_attach(deal=deal, contact=contact, role="user", actor=None)
                contacts[contact.pk] = (contact, [deal])
            if spec["assignee"] is not None:
                tasks.append(task_create(actor=None, deal=deal, text="Договориться",
                                         assignee=owners[spec["assignee"]], due_at=DUE))
        for user in readers:
            allowed = {d.pk for d in deals if _sees_deal(user, d)}
            assert ids(deal_list(user=user)) == allowed
            for pipe in cast["pipelines"]:  # the board's scope, joins left out when it can
                assert ids(deal_list(user=user, pipeline=pipe)) == {
                    d.pk for d in deals if d.pk in allowed and d.pipeline_id == pipe.pk}
            assert {t.deal_id for t in transition_list(user=user)} == allowed
            for d in deals:
                if d.pk not in allowed:
                    with pytest.raises(NotFound):
                        deal_get(user=user, pk=d.pk)
            assert ids(task_list(user=user)) == {
                t.pk for t in tasks if t.assignee_id == user.pk or t.deal_id in allowed}
            assert ids(contact_list(user=user)) == {
                pk for pk, (c, ds) in contacts.items() if _sees_party(user, c, ds)}
            assert ids(company_list(user=user)) == {
                pk for pk, (c, ds) in companies.items() if _sees_party(user, c, ds)}
            if user.role == Role.MANAGER:
                assert all(d.owner_id == user.pk for d in deal_list(user=user))
        transaction.set_rollback(True)
