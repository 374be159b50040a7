"""The searchable pickers' answers: ``<option>`` elements for a picker's select.

GET ``?q=`` (the search; blank = the first records), ``field=`` (the select's name) with the
select's own value under that name (kept in the answer, chosen), ``blank=1`` for a leading
"none" option. Only records the user may see (the crm selectors' scope) are ever answered."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..forms.pickers import PICKER_LIMIT, PICKERS, SEARCH_LIMIT, Picker, option_list
from .common import web_view


def _options(request: HttpRequest, picker: Picker) -> HttpResponse:
    query = request.GET
    q = query.get("q", "").strip()[:100]
    limit = SEARCH_LIMIT if q else PICKER_LIMIT
    records = picker.first(request.user, limit + 1, search=q)
    field = query.get("field", "")
    selected = (query.get(field, "") if field and field not in ("q", "field", "blank", "keep",
                                                                  "keep_label")
                else "").strip()
    keep = query.get("keep", "")
    options = option_list(picker, request.user, records[:limit], selected=selected,
                          blank=query.get("blank") == "1", more=len(records) > limit,
                          kept=(keep, query.get("keep_label", "")[:300]) if keep else None)
    return render(request, "web/widgets/_options.html", {"options": options})


@require_GET
@web_view
def pick_companies(request: HttpRequest) -> HttpResponse:
    return _options(request, PICKERS["company"])


@require_GET
@web_view
def pick_contacts(request: HttpRequest) -> HttpResponse:
    return _options(request, PICKERS["contact"])
