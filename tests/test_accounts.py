"""Account services: the interface language a user chooses."""

from __future__ import annotations

import pytest


def test_user_language_is_one_of_the_interface_languages(manager, admin):
    from voronka.accounts.services import user_set_language, user_update
    from voronka.core.errors import ValidationError

    assert user_set_language(user=manager, language="ru").language == "ru"
    assert user_set_language(user=manager, language="").language == ""
    for call in (lambda: user_set_language(user=manager, language="de"),
                 lambda: user_update(user=manager, actor=admin, language="xx")):
        with pytest.raises(ValidationError) as exc:
            call()
        assert "language" in exc.value.errors
    manager.refresh_from_db()
    assert manager.language == ""


def test_only_an_admin_sets_another_users_password(admin, head, manager):
    from voronka.accounts.services import user_set_password
    from voronka.core.errors import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        user_set_password(user=manager, actor=head, password="Nov0e-Slovo-1")
    with pytest.raises(ValidationError) as exc:
        user_set_password(user=manager, actor=admin, password="123")  # too short, numeric
    assert "password" in exc.value.errors
    manager.refresh_from_db()
    assert not manager.check_password("123")
    user_set_password(user=manager, actor=admin, password="Nov0e-Slovo-1")
    manager.refresh_from_db()
    assert manager.check_password("Nov0e-Slovo-1")


def test_a_head_never_manages_an_administrator_whatever_the_role_says(head, team):
    from voronka.accounts.models import User
    from voronka.accounts.services import can_manage_user, user_update
    from voronka.core.errors import PermissionDenied

    hidden_admin = User.objects.create_user("root2@example.com", "x" * 12, role="manager",
                                            team=team, is_superuser=True)
    assert hidden_admin.is_admin and not can_manage_user(head, hidden_admin)
    with pytest.raises(PermissionDenied):
        user_update(user=hidden_admin, actor=head, is_active=False)
    hidden_admin.refresh_from_db()
    assert hidden_admin.is_active and hidden_admin.is_superuser
