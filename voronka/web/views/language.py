"""The language switch of the header and the login page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from voronka.accounts.services import user_set_language
from voronka.core.errors import ValidationError


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's switch (the cookie, the safe redirect back) and, for a signed-in user, the
    choice remembered on their account."""
    response = set_language(request)
    if request.user.is_authenticated:
        try:
            user_set_language(user=request.user, language=request.POST.get("language", ""))
        except ValidationError:
            pass  # an unknown code: Django's switch ignored it too
    return response
