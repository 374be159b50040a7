"""/favicon.ico: the funnel mark, for the layout (which names it) and for the pages that do
not name an icon (the admin, the API docs), so browsers stop logging a 404 on every page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
        '<path d="M1 2h14l-5 6v6l-4-2V8z" fill="#2160e0"/></svg>')


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponse(ICON, content_type="image/svg+xml")
