"""Stage moves per second with 5 active automation rules vs none, in the same run.

Run from the project root:

    .venv/bin/python bench/automation.py [--db sqlite|postgres|both] [--deals N] [--moves N]

Each database gets a database of its own, built and removed here: SQLite a file under
var/bench/, PostgreSQL ``voronka_autobench`` on 127.0.0.1:5432 (``--pg-url`` to change it).

The data: a six-stage pipeline whose stages need a budget and a done meeting task, N deals
whose facts hold. The five rules are the kind a funnel really has, and all of them listen
to stage changes, so every move pays for them: a task on entering any stage, a notification
on leaving any stage, a "72 hours in the stage" time trigger, an e-mail on entering the
third stage, a conditional notification (budget over a million) on entering any stage.

Per round the same moves are made twice through ``deal_move``, each in its own transaction
as a user makes them: once with the rules switched off, once with them on (alternating which
goes first). With rules the move's transaction also finds the matching rules and queues one
rule job and one time-check job — rule evaluation and side effects run later in the worker,
which is timed separately (jobs per second through the worker's own ``run_task``). The
median of the rounds is reported with the ratio. Goal (issue 5): with rules >= 0.7x without.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(os.path.abspath(__file__)).parent.parent
GOAL_RATIO = 0.7
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/voronka_autobench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--deals", type=int, default=200, help="deals (default 200)")
    p.add_argument("--moves", type=int, default=800,
                   help="moves per round and per setting (default 800; at most deals x 5)")
    p.add_argument("--rounds", type=int, default=5, help="measured rounds (default 5)")
    p.add_argument("--max-seconds", type=float, default=150.0,
                   help="time budget per database (default 150)")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL)
    p.add_argument("--profile", action="store_true", help="cProfile one round with rules")
    args = p.parse_args(argv)
    if args.deals < 1 or args.moves < 1 or args.rounds < 1:
        p.error("--deals, --moves and --rounds must be at least 1")
    return args


def run_one(db: str, args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(ROOT))  # run as a script: the project root is not on the path
    from bench._db import django_database

    with django_database(db, label="automation", pg_url=args.pg_url):
        return measure(db, args)


# --- the world --------------------------------------------------------------------------------

def build(deals: int):
    import datetime

    from django.utils import timezone

    from voronka.accounts.models import Role, Team, User
    from voronka.activities.services import task_complete, task_create
    from voronka.automation.services import rule_create
    from voronka.deals.services import deal_create
    from voronka.integrations.emails import email_template_create
    from voronka.pipelines.services import pipeline_create

    team = Team.objects.create(name="Bench")
    head = User.objects.create_user("head@bench.example", role=Role.HEAD, team=team)
    manager = User.objects.create_user("manager@bench.example", role=Role.MANAGER, team=team)
    reqs = [{"kind": "field_filled", "field_name": "budget"},
            {"kind": "task_completed", "task_kind": "meeting"}]
    pipeline = pipeline_create(actor=head, team=team, name="Bench", loss_reasons=["Дорого"],
                               stages=[{"name": f"Этап {i + 1}", "requirements": reqs}
                                       for i in range(6)])
    stages = list(pipeline.stages.order_by("position"))
    template = email_template_create(actor=head, team=team, name="КП",
                                     subject="КП: {{ deal.title }}", body="{{ contact.name }}")
    rules = [
        rule_create(actor=head, pipeline=pipeline, name="Task on entry", trigger="stage_entered",
                    actions=[{"type": "create_task", "text": "Договориться о следующем шаге",
                              "kind": "call", "due_minutes": 1440}]),
        rule_create(actor=head, pipeline=pipeline, name="Left", trigger="stage_left",
                    actions=[{"type": "notify", "text": "{{ deal.title }} moved"}]),
        rule_create(actor=head, pipeline=pipeline, name="72 h", trigger="time_in_stage",
                    hours=72, actions=[{"type": "notify", "to": "heads", "text": "stuck"}]),
        rule_create(actor=head, pipeline=pipeline, name="Proposal", trigger="stage_entered",
                    stage=stages[2].pk,
                    actions=[{"type": "send_email", "template_id": template.pk, "to": "owner"}]),
        rule_create(actor=head, pipeline=pipeline, name="Big", trigger="stage_entered",
                    conditions=[{"field": "budget", "op": "gt", "value": "1000000"}],
                    actions=[{"type": "notify", "to": "heads", "text": "big deal moved"}]),
    ]
    from voronka.automation.models import Rule

    Rule.objects.update(is_active=False)
    made = []
    for i in range(deals):
        deal = deal_create(actor=manager, pipeline=pipeline, title=f"Deal {i}", budget="150000")
        task = task_create(actor=manager, deal=deal, kind="meeting", text="Встреча",
                           due_at=timezone.now() + datetime.timedelta(days=1))
        task_complete(task=task, actor=manager)
        made.append(deal)
    return {"manager": manager, "stages": stages, "deals": made, "rules": rules}


def reset(world) -> None:
    """Every deal back on the first stage, the queue emptied (bare writes: not measured)."""
    from django.db import transaction
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from voronka.deals.models import Deal

    with transaction.atomic():
        Deal.objects.filter(pk__in=[d.pk for d in world["deals"]]).update(
            stage=world["stages"][0], stage_entered_at=timezone.now())
        DBTaskResult.objects.all().delete()
    for deal in world["deals"]:
        deal.refresh_from_db()


def plan(world, moves: int) -> list[tuple]:
    """Round-robin over the deals, each one stage further every time it comes up."""
    stages, deals, out = world["stages"], world["deals"], []
    for step in range(1, len(stages)):
        for deal in deals:
            if len(out) == moves:
                return out
            out.append((deal, stages[step]))
    return out


def do_moves(world, moves: list[tuple]) -> float:
    from voronka.deals.services import deal_move

    manager = world["manager"]
    t0 = time.perf_counter()
    for deal, stage in moves:
        deal_move(deal=deal, to_stage=stage, actor=manager)
    return len(moves) / (time.perf_counter() - t0)


def set_rules(active: bool) -> None:
    from voronka.automation.models import Rule

    Rule.objects.update(is_active=active)


def count_queries(world, active: bool) -> float:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    set_rules(active)
    reset(world)
    sample = plan(world, 20)
    with CaptureQueriesContext(connection) as ctx:
        do_moves(world, sample)
    return round(len(ctx.captured_queries) / len(sample), 1)


def drain_worker(limit: int) -> tuple[int, float, dict]:
    """Run queued jobs as the worker does; jobs per second and the rule runs' outcomes."""
    from django.db.models import Count
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    from voronka.automation.models import RuleRun

    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id="bench",
                    excluded_queue_names=[])
    ran = 0
    t0 = time.perf_counter()
    while ran < limit:
        job = DBTaskResult.objects.ready().first()
        if job is None:
            break
        job.claim("bench")
        worker.run_task(job)
        ran += 1
    rate = ran / (time.perf_counter() - t0) if ran else 0.0
    outcomes = dict(RuleRun.objects.values_list("status").annotate(n=Count("id")))
    return ran, rate, outcomes


def measure(db: str, args: argparse.Namespace) -> dict:
    started = time.perf_counter()
    world = build(args.deals)
    moves = min(args.moves, len(world["deals"]) * (len(world["stages"]) - 1))
    print(f"[{db}] data: {len(world['deals'])} deals, {len(world['stages'])} stages, "
          f"5 rules; built in {time.perf_counter() - started:.1f}s; {moves} moves per round",
          flush=True)
    for active in (False, True):  # warm-up
        set_rules(active)
        reset(world)
        do_moves(world, plan(world, min(100, moves)))
    deadline = started + args.max_seconds
    without, with_rules = [], []
    for n in range(args.rounds):
        order = [(False, without), (True, with_rules)]
        for active, rates in (order if n % 2 == 0 else order[::-1]):
            set_rules(active)
            reset(world)
            rates.append(do_moves(world, plan(world, moves)))
        print(f"[{db}] round {n + 1}: no rules {without[-1]:7.0f}/s   "
              f"5 rules {with_rules[-1]:7.0f}/s", flush=True)
        if time.perf_counter() > deadline and n + 1 < args.rounds:
            print(f"[{db}] time budget spent; stopping after {n + 1} rounds", flush=True)
            break
    queries = {"none": count_queries(world, False), "rules": count_queries(world, True)}
    # The worker's side: the jobs one round with rules queued, run as the worker runs them.
    set_rules(True)
    reset(world)
    do_moves(world, plan(world, min(moves, 300)))
    jobs, jobs_rate, outcomes = drain_worker(limit=10_000)
    if args.profile:
        import cProfile
        import pstats

        reset(world)
        prof = cProfile.Profile()
        prof.runcall(do_moves, world, plan(world, moves))
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    rate_none, rate_rules = statistics.median(without), statistics.median(with_rules)
    return {
        "db": db, "deals": len(world["deals"]), "moves_per_round": moves,
        "rounds": len(with_rules), "rules": 5,
        "moves_per_s_no_rules": round(rate_none, 1),
        "moves_per_s_5_rules": round(rate_rules, 1),
        "ratio": round(rate_rules / rate_none, 3),
        "queries_per_move_no_rules": queries["none"],
        "queries_per_move_5_rules": queries["rules"],
        "worker_jobs": jobs, "worker_jobs_per_s": round(jobs_rate, 1),
        "rule_runs": outcomes,
        "goal_met": rate_rules / rate_none >= GOAL_RATIO,
        "seconds": round(time.perf_counter() - started, 1),
    }


def report(r: dict) -> None:
    print(f"\n{r['db']}: {r['moves_per_round']} moves x {r['rounds']} rounds, {r['deals']} deals")
    print(f"  no rules   {r['moves_per_s_no_rules']:8.0f} moves/s  "
          f"({r['queries_per_move_no_rules']} queries/move)")
    print(f"  5 rules    {r['moves_per_s_5_rules']:8.0f} moves/s  "
          f"({r['queries_per_move_5_rules']} queries/move)")
    print(f"  ratio      {r['ratio']:8.2f}x        goal >= {GOAL_RATIO}x: "
          f"{'met' if r['goal_met'] else 'MISSED'}")
    print(f"  worker     {r['worker_jobs_per_s']:8.0f} jobs/s   ({r['worker_jobs']} jobs; "
          f"rule runs {r['rule_runs']})")
    print("BENCH " + json.dumps(r, sort_keys=True), flush=True)


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))  # run as a script: the project root is not on the path
    from bench._child import clean_up_on_sigterm, run_child

    args = parse_args(argv)
    if args.db != "both":
        clean_up_on_sigterm()
        report(run_one(args.db, args))
        return 0
    results = [run_child(__file__, db, args, grace=300) for db in ("sqlite", "postgres")]
    print("\nSummary")
    for db, r in zip(("sqlite", "postgres"), results, strict=True):
        if r is None:
            print(f"  {db:9} FAILED")
        else:
            print(f"  {db:9} no rules {r['moves_per_s_no_rules']:6.0f}/s   5 rules "
                  f"{r['moves_per_s_5_rules']:6.0f}/s   ratio {r['ratio']:.2f}x   goal "
                  f"{'met' if r['goal_met'] else 'MISSED'}   worker "
                  f"{r['worker_jobs_per_s']:.0f} jobs/s")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
