"""Settings: users, teams and roles. Heads see their team; administrators change everything
(the services refuse anyone else)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from voronka.accounts.selectors import people_manage_list, team_list
from voronka.accounts.services import (
    assignable_roles,
    can_manage_user,
    team_create,
    user_create,
    user_update,
)
from voronka.core import errors
from voronka.core.numbers import parse_int

from ..forms.settings import TeamForm, UserCreateForm, UserEditForm
from .common import apply_errors, staff_view


def _team(teams, raw: str):
    pk = parse_int(raw)
    return teams.filter(pk=pk).first() if pk else None


@require_http_methods(["GET", "POST"])
@staff_view
def user_list(request: HttpRequest) -> HttpResponse:
    teams = team_list(user=request.user)
    roles = assignable_roles(request.user)
    form = UserCreateForm(request.POST or None, teams=teams, roles=roles, prefix="new")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user_create(actor=request.user, email=data["email"], password=data["password"],
                        full_name=data["full_name"], role=data["role"],
                        team=_team(teams, data["team"]))
        except errors.ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The user is added."))
            return redirect("web:user_list")
    people = list(people_manage_list(user=request.user))
    return render(request, "web/settings/users.html", {
        "section": "settings", "people": people, "teams": teams, "can_add": bool(roles),
        "editable": {p.pk for p in people if can_manage_user(request.user, p)},
        "form": form, "team_form": TeamForm(prefix="team")},
        status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@staff_view
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    person = people_manage_list(user=request.user).filter(pk=user_id).first()
    if person is None or not can_manage_user(request.user, person):
        raise errors.NotFound("user")
    teams = team_list(user=request.user)
    form = UserEditForm(request.POST or None, teams=teams, roles=assignable_roles(request.user),
                        initial={
        "full_name": person.full_name, "role": person.role,
        "team": str(person.team_id or ""), "is_active": person.is_active})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user_update(user=person, actor=request.user, full_name=data["full_name"],
                        role=data["role"], team=_team(teams, data["team"]),
                        is_active=data["is_active"])
        except errors.ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The user is saved."))
            return redirect("web:user_list")
    return render(request, "web/settings/user.html", {
        "section": "settings", "person": person, "form": form},
        status=422 if request.method == "POST" else 200)


@require_POST
@staff_view
def team_add(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST, prefix="team")
    if form.is_valid():
        try:
            team_create(actor=request.user, name=form.cleaned_data["name"])
        except errors.ValidationError as exc:
            messages.error(request, " ".join(exc.errors.get("name", [exc.message])))
        else:
            messages.success(request, _("The team is added."))
    else:
        messages.error(request, _("Enter the team's name."))
    return redirect("web:user_list")
