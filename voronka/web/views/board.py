"""The board: one column per stage, totals of all deals under the filters, cards by pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from voronka.accounts.selectors import team_choices, user_choices
from voronka.core.errors import NotFound
from voronka.core.numbers import parse_int
from voronka.deals.board import BoardFilters, board_column, board_get, board_sources
from voronka.deals.visibility import can_use_pipeline
from voronka.pipelines.selectors import pipeline_get, pipeline_list

from ..cards import BoardHtml
from .common import render_with_parts, web_view

LAST_PIPELINE_KEY = "board_pipeline"


@web_view
def board(request: HttpRequest, pipeline_id: int | None = None) -> HttpResponse:
    pipelines = list(pipeline_list(user=request.user))
    if pipeline_id is None:
        remembered = request.session.get(LAST_PIPELINE_KEY)
        chosen = next((p for p in pipelines if p.pk == remembered), None) or (
            pipelines[0] if pipelines else None)
        if chosen is None:
            return render(request, "web/board/empty.html", {"section": "board"})
        pipeline = chosen
    else:
        # pipeline_get's answer, from the list the page shows anyway (one query less).
        pipeline = next((p for p in pipelines if p.pk == pipeline_id), None)
        if pipeline is None:
            raise NotFound("pipeline")
        if request.session.get(LAST_PIPELINE_KEY) != pipeline.pk:
            request.session[LAST_PIPELINE_KEY] = pipeline.pk
    filters = BoardFilters.from_query(request.GET)
    board = board_get(user=request.user, pipeline=pipeline, filters=filters)
    movable = can_use_pipeline(request.user, pipeline)
    filter_query = filters.as_query()
    columns = BoardHtml(filter_query, movable=movable).column_sections(board)
    if request.htmx and request.htmx.target == "board":
        return HttpResponse(columns)
    return render_with_parts(request, "web/board/board.html", {
        "section": "board",
        "board": board,
        "pipeline": pipeline,
        "pipelines": pipelines,
        "filters": filters,
        "filter_query": filter_query,
        "owners": user_choices(user=request.user),
        "teams": team_choices(user=request.user),
        "movable": movable,
    }, slot="board_columns", parts=columns)


@web_view
def board_more(request: HttpRequest, pipeline_id: int, stage_id: int) -> HttpResponse:
    """The next page of one column's cards (requested when the column is scrolled down)."""
    pipeline = pipeline_get(user=request.user, pk=pipeline_id)
    filters = BoardFilters.from_query(request.GET)
    column = board_column(user=request.user, pipeline=pipeline, stage_id=stage_id,
                          filters=filters, offset=parse_int(request.GET.get("offset")) or 0)
    if not request.htmx:
        return redirect("web:board_pipeline", pipeline_id=pipeline.pk)
    return render(request, "web/board/_cards.html", {
        "column": column, "pipeline": pipeline, "filter_query": filters.as_query(),
        "movable": can_use_pipeline(request.user, pipeline)})


@web_view
def board_source_options(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    """The sources of the pipeline's deals, for the source filter's suggestions (loaded when
    the field is first focused, so the board itself does not pay for the scan)."""
    pipeline = pipeline_get(user=request.user, pk=pipeline_id)
    return render(request, "web/board/_sources.html",
                  {"sources": board_sources(user=request.user, pipeline=pipeline)})
