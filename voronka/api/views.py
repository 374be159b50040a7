"""The API tokens screen: a user creates (secret shown once) and revokes their tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.accounts.selectors import api_token_list
from voronka.accounts.services import api_token_create, api_token_revoke
from voronka.core.errors import ValidationError


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    new_secret, errors = "", {}
    if request.method == "POST":
        try:
            _token, new_secret = api_token_create(user=request.user,
                                                  name=request.POST.get("name", ""),
                                                  actor=request.user)
        except ValidationError as exc:
            errors = exc.errors
    return render(request, "api/tokens.html", {
        "section": "tokens", "tokens": api_token_list(user=request.user),
        "new_secret": new_secret, "errors": errors,
        "docs_url": "/api/docs"}, status=422 if errors else 200)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = api_token_list(user=request.user).filter(pk=pk).first()
    if token is None:
        raise Http404
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api_tokens")
