"""Write use cases for users and teams."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from voronka.core.errors import PermissionDenied, ValidationError
from voronka.core.normalize import InvalidValue, normalize_email

from .models import Role, Team, User


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can manage users and teams."))


@transaction.atomic
def team_create(*, name: str, actor: User | None = None) -> Team:
    _require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("This field is required.")})
    if Team.objects.filter(name=name).exists():
        raise ValidationError({"name": _("A team with this name already exists.")})
    return Team.objects.create(name=name)


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str = "",
    role: str = Role.MANAGER,
    team: Team | None = None,
    actor: User | None = None,
) -> User:
    """Create a user. ``actor=None`` is the system (demo, createsuperuser)."""
    _require_admin(actor)
    errors: dict[str, str] = {}
    try:
        email = normalize_email(email)
    except InvalidValue as exc:
        errors["email"] = str(exc)
    else:
        if User.objects.filter(email=email).exists():
            errors["email"] = _("A user with this e-mail already exists.")
    if role not in Role.values:
        errors["role"] = _("Unknown role.")
    if role in (Role.HEAD, Role.MANAGER) and team is None:
        errors["team"] = _("A head or a manager must belong to a team.")
    if errors:
        raise ValidationError(errors)
    user = User(email=email, full_name=full_name.strip(), role=role, team=team,
                is_staff=True, is_superuser=(role == Role.ADMIN))
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def user_update(*, user: User, actor: User | None, full_name: str | None = None,
                role: str | None = None, team: Team | None = None,
                is_active: bool | None = None, language: str | None = None) -> User:
    if actor is not None and actor.pk != user.pk:
        _require_admin(actor)
    if actor is not None and actor.pk == user.pk and (role is not None or team is not None):
        _require_admin(actor)
    if role is not None:
        if role not in Role.values:
            raise ValidationError({"role": _("Unknown role.")})
        user.role = role
        user.is_superuser = role == Role.ADMIN
    if team is not None:
        user.team = team
    if full_name is not None:
        user.full_name = full_name.strip()
    if is_active is not None:
        user.is_active = is_active
    if language is not None:
        user.language = language
    if user.role in (Role.HEAD, Role.MANAGER) and user.team_id is None:
        raise ValidationError({"team": _("A head or a manager must belong to a team.")})
    user.save()
    return user
