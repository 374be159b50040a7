"""Money input: the limits in its messages are numbers written the language's way."""

from __future__ import annotations

import pytest


def test_money_limits_are_written_as_numbers_of_the_language():
    from django.utils import translation

    from voronka.core.errors import ValidationError
    from voronka.deals.services import parse_money

    for lang, allow_zero, text in (("en", True, "from 0 to 999,999,999,999.99"),
                                   ("en", False, "from 0.01 to 999,999,999,999.99"),
                                   ("ru", False, "от 0,01 до 999\xa0999\xa0999\xa0999,99")):
        with translation.override(lang), pytest.raises(ValidationError) as exc:
            parse_money("-5", "budget", allow_zero=allow_zero)
        assert text in exc.value.errors["budget"][0]
