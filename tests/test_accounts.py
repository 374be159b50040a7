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
