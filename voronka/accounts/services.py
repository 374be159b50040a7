"""Write use cases for users and teams."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.core.errors import PermissionDenied, ValidationError
from voronka.core.normalize import InvalidValue, clean_text, normalize_email

from .models import ApiToken, Role, Team, User


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can manage users and teams."))


def assignable_roles(actor: User | None) -> list[str]:
    """The roles ``actor`` may give: an administrator any; a head of sales those of the
    people in the department (managers, marketers); nobody else any."""
    if actor is None or actor.is_admin:
        return list(Role.values)
    if actor.is_head and actor.team_id:
        return [Role.MANAGER, Role.MARKETER]
    return []


def can_manage_user(actor: User | None, person: User) -> bool:
    """An administrator manages everyone; a head of sales the managers and marketers of the
    own team (not other heads, not themselves: the role and the team come from above)."""
    if actor is None or actor.is_admin:
        return True
    return (actor.is_head and actor.pk != person.pk and bool(actor.team_id)
            and person.team_id == actor.team_id and not person.is_admin
            and person.role in assignable_roles(actor))


def _require_people_manager(actor: User | None, *, role: str, team: Team | None) -> None:
    if actor is None or actor.is_admin:
        return
    if not (role in assignable_roles(actor) and team is not None
            and team.pk == actor.team_id):
        raise PermissionDenied(_("A head of sales adds and changes the managers and "
                                 "marketers of the own team; the rest is the "
                                 "administrator's."))


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
    _require_people_manager(actor, role=role, team=team)
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
        if not can_manage_user(actor, user):
            raise PermissionDenied(_("You may not change this user."))
        _require_people_manager(actor, role=role or user.role, team=team or user.team)
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
        user.language = _clean_language(language)
    if user.role in (Role.HEAD, Role.MANAGER) and user.team_id is None:
        raise ValidationError({"team": _("A head or a manager must belong to a team.")})
    user.save()
    return user


@transaction.atomic
def user_set_password(*, user: User, actor: User | None, password: str) -> User:
    """An administrator sets a user's password (one's own is changed with the old one, in
    Django's own form). The password validators of the settings apply."""
    _require_admin(actor)
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError({"password": list(exc.messages)}) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def _clean_language(language: str) -> str:
    """One of the interface languages, or "" (follow the browser)."""
    language = (language or "").strip()
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError({"language": _("Unknown language.")})
    return language


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    """Remember the interface language a user chose: the pages (on every device) and the
    notifications and e-mails written for them follow it."""
    language = _clean_language(language)
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


# --- API tokens ---------------------------------------------------------------------------
TOKEN_PREFIX = "vk_"


def api_token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str, actor: User | None) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; returns it with the secret, which is never stored."""
    if actor is not None and actor.pk != user.pk and not actor.is_admin:
        raise PermissionDenied(_("You may only create tokens for yourself."))
    if not user.is_active:
        raise ValidationError({"user": _("The user is not active.")})
    name = clean_text(name, field="name", max_length=100)
    if not name:
        raise ValidationError({"name": _("This field is required.")})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:10],
                                    digest=api_token_digest(raw))
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None) -> ApiToken:
    """Revoke for good; requests with it answer 401 from now on."""
    if actor is not None and actor.pk != token.user_id and not actor.is_admin:
        raise PermissionDenied(_("You may only revoke your own tokens."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The active token of an active user matching ``raw``, or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (ApiToken.objects.select_related("user", "user__team")
             .filter(digest=api_token_digest(raw), revoked_at__isnull=True).first())
    if token is None or not token.user.is_active:
        return None
    return token


def api_token_hit(*, token: ApiToken, limit: int, window_seconds: int) -> int:
    """Count one request against the token's fixed window.

    Returns 0 when the request is allowed, else the seconds until the window ends. One
    conditional UPDATE in the common case; the count cannot pass ``limit`` even when
    several processes race, because the database checks it.
    """
    now = timezone.now()
    window = int(now.timestamp()) // window_seconds
    # Twice: a concurrent request may open the new window between our two updates.
    for _attempt in range(2):
        if ApiToken.objects.filter(pk=token.pk, window_start=window,
                                   window_count__lt=limit).update(
                window_count=F("window_count") + 1, last_used_at=now):
            return 0
        if ApiToken.objects.filter(pk=token.pk).exclude(window_start=window).update(
                window_start=window, window_count=1, last_used_at=now):
            return 0
    return max(1, (window + 1) * window_seconds - int(now.timestamp()))
