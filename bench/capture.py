"""Lead capture and API throughput under gunicorn, next to a bare Django endpoint.

Run from the project root:

    .venv/bin/python bench/capture.py [--db sqlite|postgres|both] [--requests N]

For each database the script builds a database of its own (SQLite: a file under
var/bench-capture/; PostgreSQL: ``voronka_apibench`` on 127.0.0.1:5432, ``--pg-url`` to
change it), starts gunicorn (``--workers``, default 2) on a free loopback port and sends
HTTP requests from ``--concurrency`` client threads:

* form: POST /capture/forms/<key>/ with a new visitor each time, the full path: the raw
  payload stored, phone and e-mail normalised, dedupe lookups, round-robin owner, contact,
  deal with its "created" transition, "classify the request" task, note, event;
* bare lead: POST the same form to a plain Django view (CSRF-exempt) in the same server
  that writes the same rows a lead produces (contact, phone, e-mail, deal, deal contact,
  "created" transition, task, note) with plain ORM creates in one transaction and answers
  the same thank-you page: what a hand-written endpoint without the raw log,
  normalisation, dedupe, distribution and the service layer costs. The goal is judged
  against it, as bench/moves.py judges deal_move against a bare ORM update + insert;
* bare insert: the floor, a plain view that stores the parsed form as one row, for context;
* api moves: POST /api/v1/deals/<id>/move with a bearer token (auth, rate-limit counter,
  row lock, version check, gates, transition log), every thread on its own deals.

Form, bare lead and bare insert take turns in rounds; the median rate of each and the
ratios are printed, with a machine-readable line starting with ``BENCH``. Goal (issue 6):
form >= 0.5x the bare lead endpoint.
Only loopback addresses are used; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 0.5
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/voronka_apibench"
WORK = ROOT / "var" / "bench-capture"

# A settings module and URLconf for the bench server: the project's, plus the bare views.
SITE = '''
from voronka.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench_capture_urls"
'''
URLS = '''
import itertools
import os

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from voronka.activities.models import Note, Task
from voronka.capture.models import Capture
from voronka.crm.models import Contact, ContactEmail, ContactPhone
from voronka.deals.models import Deal, DealContact, Transition

CHANNEL_ID = int(os.environ["BENCH_CHANNEL_ID"])
PIPELINE_ID = int(os.environ["BENCH_PIPELINE_ID"])
STAGE_ID = int(os.environ["BENCH_STAGE_ID"])
OWNERS = itertools.cycle(int(i) for i in os.environ["BENCH_OWNER_IDS"].split(","))


@csrf_exempt
def bare_insert(request):
    """The floor: parse the form, store it as one row."""
    Capture.objects.create(channel_id=CHANNEL_ID, payload=request.POST.dict(),
                           ip=request.META.get("REMOTE_ADDR"), outcome="spam")
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
def bare_lead(request):
    """The same rows a captured lead produces, written with plain ORM creates in one
    transaction: no raw log, no normalisation, no dedupe, no distribution rules."""
    data, now, owner = request.POST, timezone.now(), next(OWNERS)
    with transaction.atomic():
        contact = Contact.objects.create(full_name=data["name"], owner_id=owner)
        ContactPhone.objects.create(contact=contact, number=data["phone"])
        ContactEmail.objects.create(contact=contact, email=data["email"])
        deal = Deal.objects.create(title=data["name"], pipeline_id=PIPELINE_ID,
                                   stage_id=STAGE_ID, furthest_stage_id=STAGE_ID,
                                   owner_id=owner, source="site",
                                   utm_source=data.get("utm_source", ""))
        DealContact.objects.create(deal=deal, contact=contact)
        Transition.objects.create(deal=deal, pipeline_id=PIPELINE_ID, kind="created",
                                  to_stage_id=STAGE_ID, at=now, owner_id=owner)
        Task.objects.create(deal=deal, assignee_id=owner, text="Classify the request",
                            due_at=now)
        Note.objects.create(deal=deal, text=data["comment"])
    # The same thank-you page the real form answers with.
    return render(request, "capture/thanks.html", {"channel": {"name": "Site form"}})


urlpatterns = [path("bench/bare-insert/", bare_insert), path("bench/bare-lead/", bare_lead),
               path("", include("voronka.urls"))]
'''


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--requests", type=int, default=300,
                   help="requests per round and endpoint (default 300)")
    p.add_argument("--rounds", type=int, default=3, help="measured rounds (default 3)")
    p.add_argument("--moves", type=int, default=800, help="API moves (default 800)")
    p.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    p.add_argument("--max-seconds", type=float, default=240.0,
                   help="time budget per database (default 240)")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL)
    p.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if min(args.requests, args.rounds, args.moves, args.concurrency, args.workers) < 1:
        p.error("counts must be at least 1")
    return args


# --- the data, built in a subprocess with the bench environment ---------------------------

def setup_world(moves: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from voronka.accounts.models import Role
    from voronka.accounts.services import api_token_create, team_create, user_create
    from voronka.capture.services import channel_create
    from voronka.deals.services import deal_create
    from voronka.pipelines.services import pipeline_create

    team = team_create(name="Bench")
    managers = [user_create(email=f"m{i}@bench.example", password=None, role=Role.MANAGER,
                            team=team, full_name=f"Manager {i}") for i in range(4)]
    admin = user_create(email="admin@bench.example", password=None, role=Role.ADMIN)
    # Five stages, each with an exit requirement that holds: every move runs its gate.
    stages = [{"name": f"Stage {i}", "goal": "done",
               "requirements": [{"kind": "field_filled", "field_name": "title"}]}
              for i in range(5)]
    pipeline = pipeline_create(actor=None, team=team, name="Bench funnel", stages=stages,
                               loss_reasons=["Too dear"])
    channel = channel_create(actor=admin, name="Site form", kind="form", pipeline=pipeline,
                             source="site")
    deals = [deal_create(actor=None, pipeline=pipeline, owner=managers[0],
                         title=f"Deal {i}").pk for i in range(moves // 4 + 1)]
    _token, secret = api_token_create(user=managers[0], name="bench", actor=None)
    return {"form_key": channel.key, "channel_id": channel.pk, "token": secret,
            "deals": deals, "pipeline_id": pipeline.pk,
            "owner_ids": ",".join(str(m.pk) for m in managers),
            "stages": list(pipeline.stages.order_by("position").values_list("pk", flat=True))}


# --- the server ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


# --- the load --------------------------------------------------------------------------------

def post(port: int, path: str, body: bytes, headers: dict) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def split(jobs: list, threads: int) -> list[list]:
    return [jobs[i::threads] for i in range(threads)]


def blast(port: int, queues: list[list[tuple[str, bytes, dict]]], expect: set[int]) -> float:
    """Send each queue from its own thread; requests per second. Another status fails."""
    failures: list[str] = []

    def run(queue):
        for path, body, headers in queue:
            status = post(port, path, body, headers)
            if status not in expect:
                failures.append(f"{path} -> {status}")

    workers = [threading.Thread(target=run, args=(q,)) for q in queues]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[:3]}")
    return sum(len(q) for q in queues) / elapsed


FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def form_jobs(world: dict, n: int, offset: int, path: str = "") -> list[tuple]:
    """``n`` submissions from new visitors (to our form, or to ``path``)."""
    jobs = []
    for i in range(offset, offset + n):
        body = urlencode({"name": f"Visitor {i}", "phone": f"+7 916 {i // 10000:03d} "
                          f"{i % 10000:04d}", "email": f"Visitor{i}@Example.com",
                          "comment": "Нужен расчёт", "utm_source": "bench",
                          "_submission": uuid.uuid4().hex}).encode()
        jobs.append((path or f"/capture/forms/{world['form_key']}/", body, FORM_HEADERS))
    return jobs


def move_queues(world: dict, n: int, threads: int) -> list[list[tuple[str, bytes, dict]]]:
    """Each deal walks stage 1 → 5; all of a deal's moves go to one thread, in order."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {world['token']}"}
    queues: list[list] = [[] for _ in range(threads)]
    made = 0
    for i, deal in enumerate(world["deals"]):
        for stage in world["stages"][1:]:
            if made < n:
                body = json.dumps({"to_stage_id": stage}).encode()
                queues[i % threads].append((f"/api/v1/deals/{deal}/move", body, headers))
                made += 1
    return queues


# --- one database ----------------------------------------------------------------------------

def _pg_recreate(url: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use {name!r} as the bench database")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def run_one(db: str, args: argparse.Namespace) -> dict:
    work = WORK / f"{db}-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    (work / "bench_capture_site.py").write_text(textwrap.dedent(SITE))
    (work / "bench_capture_urls.py").write_text(textwrap.dedent(URLS))
    env = dict(os.environ, DEBUG="0", VORONKA_VAR_DIR=str(work),
               PYTHONPATH=os.pathsep.join([str(work), str(ROOT)]),
               DJANGO_SETTINGS_MODULE="bench_capture_site",
               VORONKA_CAPTURE_RATE_LIMIT="0",  # one client IP sends everything
               VORONKA_API_RATE_LIMIT="100000000/60")  # counted on every request, never hit
    if db == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    else:
        _pg_recreate(args.pg_url, create=True)
        env["DATABASE_URL"] = args.pg_url
    server = None
    try:
        out = subprocess.run([sys.executable, __file__, "--setup", "--moves", str(args.moves)],
                             env=env, check=True, capture_output=True, text=True, cwd=ROOT)
        world = json.loads(out.stdout.strip().splitlines()[-1])
        env.update(BENCH_CHANNEL_ID=str(world["channel_id"]),
                   BENCH_PIPELINE_ID=str(world["pipeline_id"]),
                   BENCH_STAGE_ID=str(world["stages"][0]), BENCH_OWNER_IDS=world["owner_ids"])
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "voronka.wsgi:application", "--bind",
             f"127.0.0.1:{port}", "--workers", str(args.workers), "--log-level", "warning"],
            env=env, cwd=ROOT, start_new_session=True)
        wait_up(port, time.monotonic() + 60)
        return measure(db, args, port, world)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if db == "postgres":
            _pg_recreate(args.pg_url, create=False)
        for f in work.iterdir():
            f.unlink()
        work.rmdir()


KINDS = {"form": "", "bare_lead": "/bench/bare-lead/", "bare_insert": "/bench/bare-insert/"}


def measure(db: str, args: argparse.Namespace, port: int, world: dict) -> dict:
    started = time.monotonic()
    threads = args.concurrency
    # Warm-up: every worker imports, connects and fills its caches.
    for i, path in enumerate(KINDS.values()):
        blast(port, split(form_jobs(world, 20, 10**6 + 100 * i, path), threads), {200})
    rates: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for r in range(args.rounds):
        if time.monotonic() - started > args.max_seconds and rates["form"]:
            break
        order = list(KINDS.items())
        order = order[r % 3:] + order[:r % 3]  # none always goes first
        for i, (kind, path) in enumerate(order):
            jobs = form_jobs(world, args.requests, (r * 3 + i) * args.requests, path)
            rates[kind].append(blast(port, split(jobs, threads), {200}))
    moves = move_queues(world, args.moves, threads)
    move_rate = blast(port, moves, {200})
    med = {kind: statistics.median(values) for kind, values in rates.items()}
    return {"db": db, "form_per_s": round(med["form"], 1),
            "bare_lead_per_s": round(med["bare_lead"], 1),
            "bare_insert_per_s": round(med["bare_insert"], 1),
            "ratio": round(med["form"] / med["bare_lead"], 3),
            "ratio_to_insert": round(med["form"] / med["bare_insert"], 3),
            "api_moves_per_s": round(move_rate, 1), "api_moves": sum(len(q) for q in moves),
            "rounds": len(rates["form"]), "requests": args.requests, "concurrency": threads,
            "workers": args.workers}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.setup:
        print(json.dumps(setup_world(args.moves)))
        return 0
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results = []
    for db in dbs:
        res = run_one(db, args)
        results.append(res)
        ok = "ok" if res["ratio"] >= GOAL_RATIO else "BELOW GOAL"
        print(f"{db:9s} form submissions {res['form_per_s']:7.1f}/s | bare lead endpoint "
              f"{res['bare_lead_per_s']:7.1f}/s | ratio {res['ratio']:.2f}x (goal >= "
              f"{GOAL_RATIO}x: {ok}) | bare one-row insert {res['bare_insert_per_s']:7.1f}/s "
              f"({res['ratio_to_insert']:.2f}x) | API deal moves {res['api_moves_per_s']:6.1f}/s")
        print("BENCH " + json.dumps(res))
    return 0 if all(r["ratio"] >= GOAL_RATIO for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
