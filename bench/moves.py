"""Stage moves per second through ``deal_move``, next to a bare ORM update + insert.

Run from the project root:

    .venv/bin/python bench/moves.py [--db sqlite|postgres|both] [--deals N] [--moves N]

Each database gets a database of its own, built and removed by this script: SQLite a file
under var/bench/ with the project's settings (WAL, IMMEDIATE transactions, busy timeout);
PostgreSQL the database ``voronka_bench`` on 127.0.0.1:5432 (``--pg-url`` to change it).
The data is a six-stage pipeline with one or two exit requirements of every kind per stage
and N deals whose facts all hold, so every move passes its gates.

Per round the same number of moves is made three ways, each move in its own transaction as a
user makes them, each way on its own third of the deals: through
``voronka.deals.services.deal_move`` (row lock, version check, gates, transition log, deal
update, domain event to its subscribers); the same with the event subscribers (automation,
webhooks) detached, to show what they cost; and as a bare ORM ``update`` of the deal plus
``Transition.objects.create``. The ways take turns in chunks of 50 moves, so all meet the
same load from the rest of a shared machine. After a warm-up round
the medians of the rounds are reported with their ratio, the statements per move, the moves
per second of this process's CPU time (what an idle machine would approach), and a
machine-readable line starting with ``BENCH``. Goal (issue 2): >= 300 moves/s and >= 0.3x the
bare figure, on both databases. ``--profile`` prints cProfile's top calls of one round.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATE = 300.0
GOAL_RATIO = 0.3
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/voronka_bench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--deals", type=int, default=300,
                   help="deals in the pipeline, a third moved each way (default 300)")
    p.add_argument("--moves", type=int, default=500,
                   help="moves per round and way (default 500; at most deals / 3 x 5)")
    p.add_argument("--rounds", type=int, default=5, help="measured rounds (default 5)")
    p.add_argument("--max-seconds", type=float, default=150.0,
                   help="time budget per database; rounds stop when it is spent (default 150)")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL,
                   help="the PostgreSQL database to create, use and drop")
    p.add_argument("--profile", action="store_true",
                   help="profile one round of deal_move with cProfile and print the top calls")
    args = p.parse_args(argv)
    if args.deals < 3 or args.moves < 1 or args.rounds < 1:
        p.error("--deals must be at least 3, --moves and --rounds at least 1")
    return args


# --- one database, one process -----------------------------------------------------------

def run_one(db: str, args: argparse.Namespace) -> dict:
    """Build the database, measure, tear it down. Django is set up here, once per process."""
    sys.path.insert(0, str(ROOT))  # run as a script: the project root is not on the path
    from bench._db import django_database

    with django_database(db, label="moves", pg_url=args.pg_url):
        return measure(db, args)


CHUNK = 50  # moves per turn when the ways of moving take turns within a round


def timed_round(world, moves: int, turn: int) -> dict[str, tuple[float, float]]:
    """One round: each way of moving (scenario.ARMS) works on its own share of the deals, and
    they take turns in chunks, so all meet the same load from the rest of the machine. Per
    arm: moves per second of wall time, and per second of this process's CPU time (what an
    idle machine would approach, less the database server's own share)."""
    from bench import scenario

    arms = list(zip(scenario.ARMS, world.parts(len(scenario.ARMS)), strict=True))
    arms = arms[turn % len(arms):] + arms[:turn % len(arms)]  # who goes first rotates
    plans = {name: scenario.plan(world, deals, moves) for (name, _m), deals in arms}
    spent = {name: [0.0, 0.0] for (name, _m), _d in arms}
    for start in range(0, moves, CHUNK):
        for (name, method), _deals in arms:
            t0, c0 = time.perf_counter(), time.process_time()
            method(world, plans[name][start:start + CHUNK])
            spent[name][0] += time.perf_counter() - t0
            spent[name][1] += time.process_time() - c0
    scenario.reset(world)
    return {name: (moves / wall, moves / cpu) for name, (wall, cpu) in spent.items()}


def measure(db: str, args: argparse.Namespace) -> dict:
    from bench import scenario  # Django is set up by now

    started = time.perf_counter()
    world = scenario.build(deals=args.deals)
    setup_s = time.perf_counter() - started
    per_arm = min(len(p) for p in world.parts(len(scenario.ARMS)))
    moves = min(args.moves, per_arm * (len(world.stages) - 1))
    print(f"[{db}] data: {len(world.deals)} deals, {len(world.stages)} stages, "
          f"{world.requirements} exit requirements, built in {setup_s:.1f}s; "
          f"{moves} moves per round and way", flush=True)

    deadline = started + args.max_seconds
    # Warm-up: connections, statement caches, imports, translation catalogues.
    timed_round(world, min(150, moves), turn=0)

    rounds: list[dict[str, tuple[float, float]]] = []
    for n in range(args.rounds):
        r = timed_round(world, moves, turn=n)
        rounds.append(r)
        print(f"[{db}] round {n + 1}: deal_move {r['move'][0]:6.0f}/s   "
              f"without subscribers {r['quiet'][0]:6.0f}/s   bare {r['bare'][0]:6.0f}/s   "
              f"ratio {r['move'][0] / r['bare'][0]:.2f}", flush=True)
        if time.perf_counter() > deadline and n + 1 < args.rounds:
            print(f"[{db}] time budget spent; stopping after {n + 1} rounds", flush=True)
            break

    queries = scenario.count_queries(world)
    if args.profile:
        scenario.profile(world, moves)

    def median(arm: str, i: int = 0) -> float:
        return round(statistics.median(r[arm][i] for r in rounds), 1)

    def ratio(arm: str) -> float:
        return round(statistics.median(r[arm][0] / r["bare"][0] for r in rounds), 3)

    rate = median("move")
    return {
        "db": db,
        "deals": len(world.deals),
        "stages": len(world.stages),
        "requirements": world.requirements,
        "moves_per_round": moves,
        "rounds": len(rounds),
        "moves_per_s": rate,
        "bare_per_s": median("bare"),
        "ratio": ratio("move"),
        "quiet_moves_per_s": median("quiet"),
        "quiet_ratio": ratio("quiet"),
        "queries_per_move": queries["move"],
        "quiet_queries_per_move": queries["quiet"],
        "bare_queries_per_move": queries["bare"],
        "cpu_moves_per_s": median("move", 1),
        "cpu_quiet_per_s": median("quiet", 1),
        "cpu_bare_per_s": median("bare", 1),
        "load_avg": round(os.getloadavg()[0], 2),
        "goal_met": rate >= GOAL_RATE and ratio("move") >= GOAL_RATIO,
        "seconds": round(time.perf_counter() - started, 1),
    }


# --- reporting and the two-database driver -----------------------------------------------

def report(result: dict) -> None:
    r = result
    print(f"\n{r['db']}: {r['moves_per_round']} moves x {r['rounds']} rounds, "
          f"{r['deals']} deals, {r['stages']} stages, {r['requirements']} exit requirements")
    print(f"  deal_move                  {r['moves_per_s']:7.0f} moves/s  "
          f"({r['queries_per_move']} statements/move)  ratio {r['ratio']:.2f}x")
    print(f"  deal_move, no subscribers  {r['quiet_moves_per_s']:7.0f} moves/s  "
          f"({r['quiet_queries_per_move']} statements/move)  ratio {r['quiet_ratio']:.2f}x")
    print(f"  bare ORM                   {r['bare_per_s']:7.0f} moves/s  "
          f"({r['bare_queries_per_move']} statements/move)")
    print(f"  goal >= {GOAL_RATE:.0f} moves/s and >= {GOAL_RATIO}x: "
          f"{'met' if r['goal_met'] else 'MISSED'}")
    print(f"  per CPU second of this process: deal_move {r['cpu_moves_per_s']:.0f}, "
          f"no subscribers {r['cpu_quiet_per_s']:.0f}, bare {r['cpu_bare_per_s']:.0f}; "
          f"load average {r['load_avg']}")
    print("BENCH " + json.dumps(r, sort_keys=True), flush=True)


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))  # run as a script: the project root is not on the path
    from bench._child import clean_up_on_sigterm, run_child

    args = parse_args(argv)
    if args.db != "both":
        clean_up_on_sigterm()
        result = run_one(args.db, args)
        report(result)
        return 0
    results = [run_child(__file__, db, args, grace=120) for db in ("sqlite", "postgres")]
    print("\nSummary")
    for db, r in zip(("sqlite", "postgres"), results, strict=True):
        if r is None:
            print(f"  {db:9} FAILED")
        else:
            print(f"  {db:9} deal_move {r['moves_per_s']:6.0f}/s   bare {r['bare_per_s']:6.0f}/s"
                  f"   ratio {r['ratio']:.2f}x   goal {'met' if r['goal_met'] else 'MISSED'}"
                  f"   (without event subscribers {r['quiet_moves_per_s']:.0f}/s,"
                  f" {r['quiet_ratio']:.2f}x)")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
