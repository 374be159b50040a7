"""The board page with 10,000 open deals over 7 stages, next to a bare Django page.

Run from the project root:

    .venv/bin/python bench/board.py [--db sqlite|postgres|both] [--deals N] [--requests N]

Each database gets a database of its own, built and removed by this script: SQLite a file
under var/bench/, PostgreSQL ``voronka_webbench`` on 127.0.0.1:5432 (``--pg-url``).

The data: one team, a head of sales and 8 managers, one 7-stage pipeline, N open deals spread
over the stages (each with a company, a third with an open task, some overdue, some over the
stage's time limit). The head of sales opens the board, which shows every column's count and
budget of all N deals and its first 50 cards — 350 cards.

Measured through Django's test client (the whole middleware stack, session and login, no
network): GET of the board, and GET of a bare Django page — a login-required view rendering
a one-line template — in the same process, interleaved. Reported: the medians, the ratio
(goal, issue 3: <= 3x), the queries per request, and a line starting with ``BENCH``.

For orientation it also times an empty page in the application's layout (the menus, the
overdue and notification counters every page shows), interleaved with the other two: the
board's own cost is the board minus that page. ``--breakdown`` times the board's reads and
its cards' HTML on their own (best of 5).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 3.0
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/voronka_webbench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--deals", type=int, default=10_000)
    p.add_argument("--stages", type=int, default=7)
    p.add_argument("--requests", type=int, default=30, help="measured requests of each page")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL)
    p.add_argument("--profile", action="store_true", help="profile the board requests")
    p.add_argument("--breakdown", action="store_true",
                   help="also time the board's parts (best of 5): totals, ranking, cards, render")
    return p.parse_args(argv)


def _build(n_deals: int, n_stages: int):
    """The data set, written with bulk inserts (the board only reads it)."""
    import datetime
    import random
    from decimal import Decimal

    from django.utils import timezone

    from voronka.accounts.models import Role, Team, User
    from voronka.activities.models import Task
    from voronka.crm.models import Company
    from voronka.deals.models import Deal
    from voronka.pipelines.services import pipeline_create

    rng = random.Random(7)
    team = Team.objects.create(name="Отдел продаж")
    head = User.objects.create_user("head@bench.test", "bench-pass", role=Role.HEAD, team=team,
                                    full_name="Руководитель Отдела")
    managers = [User.objects.create_user(f"m{i}@bench.test", "bench-pass", role=Role.MANAGER,
                                         team=team, full_name=f"Менеджер Номер {i}")
                for i in range(8)]
    pipeline = pipeline_create(actor=None, team=team, name="B2B", stages=[
        {"name": f"Этап {i + 1}: договариваюсь", "goal": f"Факт {i + 1} получен",
         "time_limit_hours": 24 * 7, "requirements": [{"kind": "contact_attached"}]}
        for i in range(n_stages)], loss_reasons=["Дорого"])
    stages = list(pipeline.stages.order_by("position"))
    companies = Company.objects.bulk_create(
        [Company(name=f"ООО «Компания {i}»", owner=managers[i % 8]) for i in range(2000)])
    now = timezone.now()
    deals = []
    for i in range(n_deals):
        stage = stages[i % n_stages]
        deals.append(Deal(
            title=f"Поставка оборудования №{i}", pipeline=pipeline, stage=stage,
            furthest_stage=stage, owner=managers[i % 8], company=companies[i % 2000],
            budget=Decimal(rng.randrange(50_000, 5_000_000, 1000)), source="site",
            created_at=now - datetime.timedelta(days=rng.randrange(0, 365)),
            stage_entered_at=now - datetime.timedelta(hours=rng.randrange(1, 24 * 30))))
    deals = Deal.objects.bulk_create(deals, batch_size=2000)
    Task.objects.bulk_create([
        Task(deal=d, assignee=d.owner, kind="call", text="Договориться о встрече с ЛПР",
             due_at=now + datetime.timedelta(hours=rng.randrange(-72, 240)))
        for i, d in enumerate(deals) if i % 3 == 0], batch_size=2000)
    # Planner statistics, as a live database has them (autovacuum on PostgreSQL): without
    # them a bulk-loaded table is planned as if it were tiny.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return head, pipeline


def _bare_urls():
    """The project's URLs plus the bare page, the baseline of the same run, and an empty
    page in the application's layout."""
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.template import engines
    from django.urls import clear_url_caches, path

    import voronka.urls

    template = engines["django"].from_string(
        "<!doctype html><html><body><p>{{ request.user }}</p></body></html>")

    @login_required
    def bare(request):
        return HttpResponse(template.render({}, request))

    layout = engines["django"].from_string(
        '{% extends "web/base.html" %}{% block content %}<p>—</p>{% endblock %}')

    @login_required
    def empty_layout(request):
        return HttpResponse(layout.render({"section": "board"}, request))

    voronka.urls.urlpatterns.append(path("bench-bare/", bare))
    voronka.urls.urlpatterns.append(path("bench-layout/", empty_layout))
    clear_url_caches()


def _time(client, url: str) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(ctx.captured_queries)


def _breakdown(head, pipeline) -> dict[str, float]:
    """Best-of-5 milliseconds of the board's parts, to see where its time goes."""
    from django.db import connections

    from voronka.deals import board as selectors
    from voronka.web.cards import BoardHtml

    filters = selectors.BoardFilters()
    conn = connections["default"]

    def cards():
        select = selectors._card_select(conn)
        sql, params = selectors._cards_sql(
            conn, select, selectors._filtered(head, pipeline, filters), pipeline.pk,
            selectors.PAGE_SIZE)
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    board = selectors.board_get(user=head, pipeline=pipeline, filters=filters)
    parts = {
        "totals_ms": lambda: selectors.stage_totals(user=head, pipeline=pipeline,
                                                    filters=filters),
        "cards_sql_ms": cards,
        "board_get_ms": lambda: selectors.board_get(user=head, pipeline=pipeline,
                                                    filters=filters),
        "render_cards_ms": lambda: BoardHtml({}).column_sections(board),
    }
    out = {}
    for name, fn in parts.items():
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        out[name] = round(best * 1000, 1)
    return out


def run_one(args: argparse.Namespace, db: str) -> dict:
    """Build, measure, tear down, in this process (a child of main())."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "voronka.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    head, pipeline = _build(args.deals, args.stages)
    built = time.perf_counter() - t0
    _bare_urls()
    client = Client()
    client.force_login(head)
    board_url, bare_url, layout_url = f"/board/{pipeline.pk}/", "/bench-bare/", "/bench-layout/"
    html = client.get(board_url).content.decode()
    cards = html.count('<article class="card')
    for _ in range(3):  # warm-up: template caches, connection, query plans
        _time(client, board_url)
        _time(client, bare_url)
        _time(client, layout_url)
    board, bare, layout, board_q, bare_q = [], [], [], 0, 0
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    for _ in range(args.requests):
        if profiler:
            profiler.enable()
        t, board_q = _time(client, board_url)
        if profiler:
            profiler.disable()
        board.append(t)
        t, bare_q = _time(client, bare_url)
        bare.append(t)
        layout.append(_time(client, layout_url)[0])
    if profiler:
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    board_ms, bare_ms = statistics.median(board) * 1000, statistics.median(bare) * 1000
    parts = _breakdown(head, pipeline) if args.breakdown else {}
    return {**parts, "db": db, "deals": args.deals, "stages": args.stages, "cards": cards,
            "board_ms": round(board_ms, 1), "bare_ms": round(bare_ms, 2),
            "ratio": round(board_ms / bare_ms, 1), "board_queries": board_q,
            "layout_ms": round(statistics.median(layout) * 1000, 2),
            "bare_queries": bare_q, "build_s": round(built, 1)}


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))  # run as a script: the project root is not on the path
    from bench._db import database_url

    args = parse_args(argv)
    if os.environ.get("VORONKA_BENCH_CHILD"):
        print("RESULT " + json.dumps(run_one(args, os.environ["VORONKA_BENCH_CHILD"])))
        return 0
    results = []
    for db in (("sqlite", "postgres") if args.db == "both" else (args.db,)):
        with database_url(db, label="board", pg_url=args.pg_url) as url:
            env = dict(os.environ, VORONKA_BENCH_CHILD=db, DEBUG="0",
                       ALLOWED_HOSTS="testserver", DATABASE_URL=url)
            out = subprocess.run([sys.executable, __file__, *(argv or sys.argv[1:])], env=env,
                                 cwd=ROOT, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(out.stdout, out.stderr, file=sys.stderr)
            return out.returncode
        if args.profile:
            print(out.stdout)
        line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
        results.append(json.loads(line[7:]))
    print(f"{'db':<9}{'deals':>7}{'cards':>7}{'board ms':>10}{'bare ms':>9}{'ratio':>7}"
          f"{'queries':>9}  goal <= {GOAL_RATIO:g}x")
    for r in results:
        ok = "ok" if r["ratio"] <= GOAL_RATIO else "ABOVE GOAL"
        print(f"{r['db']:<9}{r['deals']:>7}{r['cards']:>7}{r['board_ms']:>10}{r['bare_ms']:>9}"
              f"{r['ratio']:>6}x{r['board_queries']:>6}/{r['bare_queries']:<3} {ok}")
        print(f"         an empty page in the layout: {r['layout_ms']} ms "
              f"({r['layout_ms'] / r['bare_ms']:.1f}x bare); the board beyond it: "
              f"{r['board_ms'] - r['layout_ms']:.1f} ms")
        if "totals_ms" in r:
            print(f"         parts (best of 5): totals {r['totals_ms']} ms, cards statement "
                  f"{r['cards_sql_ms']} ms, board_get {r['board_get_ms']} ms, 7 columns with "
                  f"350 cards rendered {r['render_cards_ms']} ms")
        print("BENCH " + json.dumps({"bench": "board", **r}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
