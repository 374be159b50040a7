"""Users and teams in the admin: created and changed by the accounts services."""

from __future__ import annotations

import copy

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import password_validation, update_session_auth_hash
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.db.models import Count
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.admin_base import ServiceForm, ServiceModelAdmin

from .models import Team, User
from .selectors import team_list, user_list
from .services import team_create, user_create, user_set_password, user_update

# Roles, not Django's groups and permissions, decide who may do what.
admin.site.unregister(Group)

USER_FIELDS = ("full_name", "role", "team", "is_active", "language")


class UserAddForm(ServiceForm):
    password1 = forms.CharField(label=gettext_lazy("Password"), required=False, strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=password_validation.password_validators_help_text_html())
    password2 = forms.CharField(label=gettext_lazy("Password confirmation"), required=False,
                                strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=gettext_lazy("Leave both empty to create the user "
                                                       "without a password for now."))

    class Meta:
        model = User
        fields = ("email", "full_name", "role", "team")

    def clean_password2(self) -> str:
        first, second = self.cleaned_data.get("password1") or "", self.cleaned_data["password2"]
        if first != second:
            raise forms.ValidationError(_("The two passwords do not match."))
        if first:
            password_validation.validate_password(first, User(
                email=self.data.get("email", ""), full_name=self.data.get("full_name", "")))
        return second


class UserChangeForm(ServiceForm):
    language = forms.ChoiceField(label=capfirst(gettext_lazy("language")), required=False,
                                 choices=[("", gettext_lazy("Browser's language")),
                                          *settings.LANGUAGES])

    class Meta:
        model = User
        fields = USER_FIELDS


@admin.register(User)
class UserAdmin(ServiceModelAdmin):
    list_display = ("email", "full_name", "role", "team", "is_active", "last_login")
    list_filter = ("role", ("team", admin.RelatedOnlyFieldListFilter), "is_active")
    search_fields = ("email", "full_name")
    ordering = ("full_name", "email")
    list_select_related = ("team",)

    def scoped_queryset(self, request):
        if request.user.is_admin:
            # An administrator also sees deactivated users, to bring them back.
            return User.objects.select_related("team")
        return user_list(user=request.user)

    def has_add_permission(self, request) -> bool:
        return request.user.is_admin

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_admin or (obj is not None and obj.pk == request.user.pk)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ("email", "full_name", "role", "team", "password1",
                                       "password2")})]
        return [(None, {"fields": ("email", *self._password_fields(request, obj))}),
                (_("Profile"), {"fields": USER_FIELDS}),
                (_("Dates"), {"fields": ("last_login", "date_joined")})]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fixed = ("email", *self._password_fields(request, obj), "last_login", "date_joined")
        return fixed if request.user.is_admin else (*fixed, "role", "team", "is_active")

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = UserChangeForm if obj is not None else UserAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    @admin.display(description=gettext_lazy("Password"))
    def password_link(self, obj: User) -> str:
        return format_html('<a href="{}">{}</a>',
                           reverse("admin:accounts_user_password", args=[obj.pk]),
                           _("Set a new password"))

    @admin.display(description=gettext_lazy("Password"))
    def own_password_link(self, obj: User) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:password_change"),
                           _("Change my password"))

    def _password_fields(self, request, obj: User) -> tuple[str, ...]:
        # One's own password needs the old one (Django's view); others' are set by an admin.
        if obj.pk == request.user.pk:
            return ("own_password_link",)
        return ("password_link",) if request.user.is_admin else ()

    def perform_add(self, request, form) -> User:
        data = form.cleaned_data
        return user_create(email=data["email"], password=data.get("password1") or None,
                           full_name=data.get("full_name") or "", role=data["role"],
                           team=data.get("team"), actor=request.user)

    def perform_change(self, request, obj: User, form) -> User:
        data = form.cleaned_data
        changes = {name: data[name] for name in form.changed_data if name in USER_FIELDS}
        if "team" in changes and changes["team"] is None:
            form.add_error("team", _("A user is moved to another team, not out of every team."))
            return obj
        return user_update(user=copy.copy(obj), actor=request.user, **changes)

    def get_urls(self):
        view = self.admin_site.admin_view(self.password_view)
        return [path("<path:object_id>/password/", view, name="accounts_user_password"),
                *super().get_urls()]

    def password_view(self, request, object_id):
        def perform(user: User, form: AdminPasswordChangeForm) -> User:
            # Django's form checks the two entries match; the service validates and saves.
            saved = user_set_password(user=user, actor=request.user,
                                      password=form.cleaned_data["password1"])
            if saved.pk == request.user.pk:
                update_session_auth_hash(request, saved)
            return saved

        return self.action_view(
            request, object_id, make_form=lambda user, data: AdminPasswordChangeForm(user, data),
            perform=perform, title=_("Set a new password"), submit=_("Change password"),
            success=_("The password was changed."), allowed=lambda user: request.user.is_admin,
            refusal=_("Only an administrator can set another user's password."))


class TeamForm(ServiceForm):
    class Meta:
        model = Team
        fields = ("name",)


@admin.register(Team)
class TeamAdmin(ServiceModelAdmin):
    form = TeamForm
    list_display = ("name", "member_count", "created_at")
    search_fields = ("name",)
    ordering = ("name",)

    def scoped_queryset(self, request):
        return team_list(user=request.user).annotate(members_total=Count("members"))

    @admin.display(description=gettext_lazy("members"), ordering="members_total")
    def member_count(self, obj: Team) -> int:
        return obj.members_total

    def has_add_permission(self, request) -> bool:
        return request.user.is_admin

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a team is created and then kept; there is no rename service

    def get_fields(self, request, obj=None):
        return ("name",) if obj is None else ("name", "created_at")

    def perform_add(self, request, form) -> Team:
        return team_create(name=form.cleaned_data["name"], actor=request.user)
