import pytest

from voronka.capture.models import Capture, Channel
from voronka.capture.services import channel_create, channel_update

from ..factories import make_deal


def lead(visitor, channel, i):
    r = visitor.hook(channel, {"provider_id": str(i), "phone": f"+7916000{i:04d}"})
    assert r.status_code == 201, r.content
    return Capture.objects.get(pk=r.json()["capture_id"]).deal.owner


def test_round_robin_alternates(pipeline, admin, manager, manager2, head, visitor):
    channel = channel_create(actor=admin, name="RR", kind="webhook", pipeline=pipeline)
    owners = [lead(visitor, channel, i) for i in range(4)]
    assert owners == [manager, manager2, manager, manager2]


def test_least_loaded_goes_to_the_freest(pipeline, admin, manager, manager2, visitor):
    for _ in range(3):
        make_deal(pipeline, manager)
    channel = channel_create(actor=admin, name="LL", kind="webhook", pipeline=pipeline,
                             distribution="least_loaded")
    owners = [lead(visitor, channel, i) for i in range(4)]
    assert owners == [manager2, manager2, manager2, manager]


def test_members_limit_who_gets_leads(pipeline, admin, manager, manager2, head, visitor):
    channel = channel_create(actor=admin, name="M", kind="webhook", pipeline=pipeline,
                             members=[manager2])
    assert {lead(visitor, channel, i) for i in range(3)} == {manager2}
    channel_update(channel=channel, actor=admin, members=[])
    assert lead(visitor, channel, 9) == manager  # back to every manager, in turn


def test_members_must_be_able_to_own_deals(pipeline, admin, manager, marketer):
    """The service refuses a marketer or an inactive member (every lead would fail), on any
    door; a member who became a marketer later is passed over."""
    from voronka.accounts.models import Role
    from voronka.core.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        channel_create(actor=admin, name="M", kind="webhook", pipeline=pipeline,
                       members=[marketer])
    assert "members" in refused.value.errors
    manager2 = type(manager).objects.create_user("gone@example.com", "x", role=Role.MANAGER,
                                                 team=pipeline.team, is_active=False)
    with pytest.raises(ValidationError):
        channel_create(actor=admin, name="M", kind="webhook", pipeline=pipeline,
                       members=[manager2])
    assert not Channel.objects.exists()


def test_a_member_who_became_a_marketer_is_passed_over(pipeline, admin, manager, manager2,
                                                        visitor):
    channel = channel_create(actor=admin, name="M", kind="webhook", pipeline=pipeline,
                             members=[manager2])
    manager2.role = "marketer"
    manager2.save()
    assert lead(visitor, channel, 1) == manager  # back to the team's managers


def test_only_admins_and_the_teams_head_set_up_channels(pipeline, manager, head):
    import pytest

    from voronka.core.errors import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        channel_create(actor=manager, name="x", kind="form", pipeline=pipeline)
    channel = channel_create(actor=head, name="x", kind="form", pipeline=pipeline)
    assert [f["target"] for f in channel.fields] == ["name", "phone", "email", "comment"]
    with pytest.raises(ValidationError) as exc:
        channel_create(actor=head, name="y", kind="form", pipeline=pipeline,
                       fields=[{"name": "Bad Name", "target": "nope"}])
    assert {"fields.0.name", "fields.0.target", "fields"} <= set(exc.value.errors)


def test_a_team_without_managers_sends_leads_to_an_admin(pipeline, admin, visitor):
    channel = channel_create(actor=admin, name="Z", kind="webhook", pipeline=pipeline)
    assert lead(visitor, channel, 1) == admin


def test_who_the_candidates_are(pipeline, admin, manager, manager2, head, other_manager):
    from voronka.capture.distribution import candidates

    channel = channel_create(actor=admin, name="Z", kind="webhook", pipeline=pipeline)
    # The team's managers (never another team's, nor the head while there are managers).
    assert candidates(channel) == sorted([manager, manager2], key=lambda u: u.pk)
    # Members, an administrator among them, whichever team they are in.
    channel_update(channel=channel, actor=admin, members=[manager2, admin])
    assert candidates(channel) == sorted([manager2, admin], key=lambda u: u.pk)
    # Members who left: the team again.
    for user in (manager2, admin):
        user.is_active = False
        user.save(update_fields=["is_active"])
    assert candidates(channel) == [manager]
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    assert candidates(channel) == [head]  # no managers: the head
    head.is_active = False
    head.save(update_fields=["is_active"])
    assert candidates(channel) == []  # nobody active: pick_owner refuses the lead
