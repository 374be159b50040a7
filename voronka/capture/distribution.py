"""Who gets a new deal: round-robin or least-loaded among the channel's members (by default
every manager of the pipeline's team). The turn is the channel row: it is taken (updated,
so locked until commit on PostgreSQL) only when a new deal is made, just before the
inserts, so two new deals at once never both go to the same person by accident of timing,
and a lead attached to an open deal never waits for it."""

from __future__ import annotations

from django.db import connections, router
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, User
from voronka.core.errors import ValidationError
from voronka.deals.models import Deal

from .models import Channel


def candidates(channel: Channel) -> list[User]:
    """The channel's members or, without members, the team's managers."""
    people = list(User.objects.raw(*_people_sql(channel)))
    # A member who has since become a marketer may not own deals any more.
    members = [u for u in people if u.is_member and u.can_write]
    if members:
        return members
    team_id = channel.pipeline.team_id
    team = [u for u in people if u.team_id == team_id and u.role in (Role.MANAGER, Role.HEAD)]
    # A lead must never be dropped: without managers it goes to the head, then an admin.
    return ([u for u in team if u.role == Role.MANAGER]
            or [u for u in team if u.role == Role.HEAD]
            or [u for u in people if u.role == Role.ADMIN][:1])


def _people_sql(channel: Channel) -> tuple[str, list]:
    """Everyone who could be a candidate, in one statement: the active members (marked
    ``is_member``), the team's managers and heads, the administrators; by id. Written out:
    as an ORM query its compilation cost a lead more than the statement itself."""
    conn = connections[router.db_for_read(User)]
    q = conn.ops.quote_name
    user, link = User._meta, Channel.members.through._meta

    def col(meta, name: str) -> str:
        return q(meta.get_field(name).column)

    member = (f"EXISTS (SELECT 1 FROM {q(link.db_table)} m WHERE m.{col(link, 'channel')} = %s"
              f" AND m.{col(link, 'user')} = u.{col(user, 'id')})")
    sql = (f"SELECT u.*, {member} AS is_member FROM {q(user.db_table)} u"
           f" WHERE u.{col(user, 'is_active')} = %s AND ({member}"
           f" OR u.{col(user, 'role')} = %s"
           f" OR (u.{col(user, 'team')} = %s AND u.{col(user, 'role')} IN (%s, %s)))"
           f" ORDER BY u.{col(user, 'id')}")
    return sql, [channel.pk, True, channel.pk, Role.ADMIN.value, channel.pipeline.team_id,
                 Role.MANAGER.value, Role.HEAD.value]


def _after(people: list[User], last_id: int | None) -> list[User]:
    """``people`` rotated so the one after ``last_id`` comes first."""
    ids = [p.pk for p in people]
    if last_id in ids:
        i = ids.index(last_id) + 1
        return people[i:] + people[:i]
    return people


def pick_owner(channel: Channel) -> User:
    """Choose the owner of a new deal and take the channel's turn (held until commit)."""
    people = candidates(channel)
    if not people:
        raise ValidationError({"owner": _("Nobody in the pipeline's team can take the lead; "
                                          "add managers or channel members.")})
    if channel.distribution == Channel.Distribution.LEAST_LOADED:
        # The turn first: the loads are counted after the previous new deal has committed.
        order = _after(people, _hold_turn(channel))
        loads = dict(User.objects.filter(pk__in=[p.pk for p in people]).annotate(
            n=Count("deals", filter=Q(deals__status=Deal.Status.OPEN,
                                      deals__pipeline_id=channel.pipeline_id)))
            .values_list("pk", "n"))
        # Fewest open deals first; among equals, the round-robin order.
        chosen = sorted(order, key=lambda p: loads.get(p.pk, 0))[0]
        Channel.objects.filter(pk=channel.pk).update(last_assigned=chosen)
    else:
        chosen = _next_turn(channel, people)
    channel.last_assigned = chosen
    return chosen


def _hold_turn(channel: Channel) -> int | None:
    """Lock the channel's turn and read it fresh (the last person given a deal)."""
    conn = connections[router.db_for_write(Channel)]
    q, meta = conn.ops.quote_name, Channel._meta
    lock = (f" {conn.ops.for_update_sql(no_key=conn.features.has_select_for_no_key_update)}"
            if conn.features.has_select_for_update else "")
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT {q(meta.get_field('last_assigned').column)}"
                       f" FROM {q(meta.db_table)} WHERE {q(meta.pk.column)} = %s{lock}",
                       [channel.pk])
        row = cursor.fetchone()
    if row is None:
        raise Channel.DoesNotExist
    return row[0]


def _next_turn(channel: Channel, people: list[User]) -> User:
    """Round-robin in one statement: the turn passes to the one after the last (read under
    the row's lock, so fresh however many leads wait for it), and comes back."""
    conn = connections[router.db_for_write(Channel)]
    q, meta = conn.ops.quote_name, Channel._meta
    column = q(meta.get_field("last_assigned").column)
    ids = [p.pk for p in people]
    after = dict(zip(ids, ids[1:] + ids[:1], strict=True))
    cases = " ".join(["WHEN %s THEN %s"] * len(ids))
    with conn.cursor() as cursor:
        cursor.execute(f"UPDATE {q(meta.db_table)} SET {column} = CASE {column} {cases}"
                       f" ELSE %s END WHERE {q(meta.pk.column)} = %s RETURNING {column}",
                       [*(v for pair in after.items() for v in pair), ids[0], channel.pk])
        row = cursor.fetchone()
    if row is None:
        raise Channel.DoesNotExist
    return people[ids.index(row[0])]
