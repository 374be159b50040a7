"""Stage moves per second through ``deal_move``, next to a bare ORM update + insert.

Run from the project root:

    .venv/bin/python bench/moves.py [--db sqlite|postgres|both] [--deals N] [--moves N]

Each database gets a database of its own, built and removed by this script: SQLite a file
under var/bench/ with the project's settings (WAL, IMMEDIATE transactions, busy timeout);
PostgreSQL the database ``voronka_bench`` on 127.0.0.1:5432 (``--pg-url`` to change it).
The data is a six-stage pipeline with one or two exit requirements of every kind per stage
and N deals whose facts all hold, so every move passes its gates.

Per round the same number of moves is made two ways, each move in its own transaction as a
user makes them: through ``voronka.deals.services.deal_move`` (row lock, version check, gates,
transition log, deal update) on one half of the deals, and as a bare ORM ``update`` of the
deal plus ``Transition.objects.create`` on the other half. The two take turns in chunks of 50
moves, so both meet the same load from the rest of a shared machine. After a warm-up round
the medians of the rounds are reported with their ratio, the statements per move, the moves
per second of this process's CPU time (what an idle machine would approach), and a
machine-readable line starting with ``BENCH``. Goal (issue 2): >= 300 moves/s and >= 0.3x the
bare figure, on both databases. ``--profile`` prints cProfile's top calls of one round.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATE = 300.0
GOAL_RATIO = 0.3
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/voronka_bench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--deals", type=int, default=400,
                   help="deals in the pipeline, half moved each way (default 400)")
    p.add_argument("--moves", type=int, default=1000,
                   help="moves per round and method (default 1000; at most deals / 2 x 5)")
    p.add_argument("--rounds", type=int, default=5, help="measured rounds (default 5)")
    p.add_argument("--max-seconds", type=float, default=150.0,
                   help="time budget per database; rounds stop when it is spent (default 150)")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL,
                   help="the PostgreSQL database to create, use and drop")
    p.add_argument("--profile", action="store_true",
                   help="profile one round of deal_move with cProfile and print the top calls")
    args = p.parse_args(argv)
    if args.deals < 2 or args.moves < 1 or args.rounds < 1:
        p.error("--deals must be at least 2, --moves and --rounds at least 1")
    return args


# --- one database, one process -----------------------------------------------------------

def _admin_url(url: str) -> tuple[str, str]:
    """The maintenance database's URL and the bench database's name."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use {name!r} as the bench database")
    return urlunsplit(parts._replace(path="/postgres")), name


def _pg_recreate(url: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _sqlite_files(path: Path) -> list[Path]:
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")]


def run_one(db: str, args: argparse.Namespace) -> dict:
    """Build the database, measure, tear it down. Django is set up here, once per process."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "voronka.settings"
    os.environ["DEBUG"] = "0"  # no query log kept in memory while timing
    sqlite_path = None
    if db == "sqlite":
        bench_dir = ROOT / "var" / "bench"
        bench_dir.mkdir(parents=True, exist_ok=True)
        sqlite_path = bench_dir / f"moves-{os.getpid()}.sqlite3"
        for f in _sqlite_files(sqlite_path):
            f.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{sqlite_path}"
    else:
        _pg_recreate(args.pg_url, create=True)
        os.environ["DATABASE_URL"] = args.pg_url
    sys.path.insert(0, str(ROOT))
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        return measure(db, args)
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - cleanup must go on whatever failed above
            pass
        if sqlite_path is not None:
            for f in _sqlite_files(sqlite_path):
                f.unlink(missing_ok=True)
        else:
            _pg_recreate(args.pg_url, create=False)


CHUNK = 50  # moves per turn when the two methods take turns within a round


def timed_round(world, moves: int, first_bare: bool) -> tuple[float, float, float, float]:
    """One round: the service and the bare writes take turns in chunks on their own halves of
    the deals, so both meet the same load from the rest of the machine. Moves per second of
    wall time (service, bare), then per second of this process's CPU time (service, bare):
    the latter is what an idle machine would give, less the database server's own share."""
    from bench import scenario

    service_deals, bare_deals = world.halves()
    service_plan = scenario.plan(world, service_deals, moves)
    bare_plan = scenario.plan(world, bare_deals, moves)
    spent = {"service": 0.0, "bare": 0.0}
    cpu = {"service": 0.0, "bare": 0.0}
    turns = [("service", scenario.service_moves, service_plan),
             ("bare", scenario.bare_moves, bare_plan)]
    if first_bare:
        turns.reverse()
    for start in range(0, moves, CHUNK):
        for name, method, steps in turns:
            chunk = steps[start:start + CHUNK]
            t0, c0 = time.perf_counter(), time.process_time()
            method(world, chunk)
            spent[name] += time.perf_counter() - t0
            cpu[name] += time.process_time() - c0
    scenario.reset(world)
    return (moves / spent["service"], moves / spent["bare"],
            moves / cpu["service"], moves / cpu["bare"])


def measure(db: str, args: argparse.Namespace) -> dict:
    from bench import scenario  # Django is set up by now

    started = time.perf_counter()
    world = scenario.build(deals=args.deals)
    setup_s = time.perf_counter() - started
    per_method = len(world.halves()[1])
    moves = min(args.moves, per_method * (len(world.stages) - 1))
    print(f"[{db}] data: {len(world.deals)} deals, {len(world.stages)} stages, "
          f"{world.requirements} exit requirements, built in {setup_s:.1f}s; "
          f"{moves} moves per round and method", flush=True)

    deadline = started + args.max_seconds
    # Warm-up: connections, statement caches, imports, translation catalogues.
    timed_round(world, min(200, moves), first_bare=False)

    service_rates: list[float] = []
    bare_rates: list[float] = []
    cpu_rates: list[float] = []
    cpu_bare_rates: list[float] = []
    for n in range(args.rounds):
        rate, bare, cpu_rate, cpu_bare = timed_round(world, moves, first_bare=n % 2 == 1)
        service_rates.append(rate)
        bare_rates.append(bare)
        cpu_rates.append(cpu_rate)
        cpu_bare_rates.append(cpu_bare)
        print(f"[{db}] round {n + 1}: deal_move {rate:7.0f}/s   bare {bare:7.0f}/s   "
              f"ratio {rate / bare:.2f}   (per CPU second: {cpu_rate:.0f} / {cpu_bare:.0f})",
              flush=True)
        if time.perf_counter() > deadline and n + 1 < args.rounds:
            print(f"[{db}] time budget spent; stopping after {n + 1} rounds", flush=True)
            break

    queries = scenario.count_queries(world)
    if args.profile:
        scenario.profile(world, moves)

    rate, bare = statistics.median(service_rates), statistics.median(bare_rates)
    ratio = statistics.median(r / b for r, b in zip(service_rates, bare_rates, strict=True))
    return {
        "db": db,
        "deals": len(world.deals),
        "stages": len(world.stages),
        "requirements": world.requirements,
        "moves_per_round": moves,
        "rounds": len(service_rates),
        "moves_per_s": round(rate, 1),
        "bare_per_s": round(bare, 1),
        "ratio": round(ratio, 3),
        "queries_per_move": queries["service"],
        "bare_queries_per_move": queries["bare"],
        "cpu_moves_per_s": round(statistics.median(cpu_rates), 1),
        "cpu_bare_per_s": round(statistics.median(cpu_bare_rates), 1),
        "load_avg": round(os.getloadavg()[0], 2),
        "goal_met": rate >= GOAL_RATE and ratio >= GOAL_RATIO,
        "seconds": round(time.perf_counter() - started, 1),
    }


# --- reporting and the two-database driver -----------------------------------------------

def report(result: dict) -> None:
    r = result
    print(f"\n{r['db']}: {r['moves_per_round']} moves x {r['rounds']} rounds, "
          f"{r['deals']} deals, {r['stages']} stages, {r['requirements']} exit requirements")
    print(f"  deal_move  {r['moves_per_s']:8.0f} moves/s  ({r['queries_per_move']} queries/move)")
    print(f"  bare ORM   {r['bare_per_s']:8.0f} moves/s  ({r['bare_queries_per_move']} "
          f"queries/move)")
    print(f"  ratio      {r['ratio']:8.2f}x        goal >= {GOAL_RATE:.0f} moves/s and "
          f">= {GOAL_RATIO}x: {'met' if r['goal_met'] else 'MISSED'}")
    print(f"  per CPU second of this process: deal_move {r['cpu_moves_per_s']:.0f}, "
          f"bare {r['cpu_bare_per_s']:.0f}; load average {r['load_avg']}")
    print("BENCH " + json.dumps(r, sort_keys=True), flush=True)


def run_child(db: str, args: argparse.Namespace) -> dict | None:
    """Run one database in a fresh process (Django's settings are per process)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--db", db, "--deals", str(args.deals),
           "--moves", str(args.moves), "--rounds", str(args.rounds),
           "--max-seconds", str(args.max_seconds), "--pg-url", args.pg_url]
    if args.profile:
        cmd.append("--profile")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    # The child stops its own rounds when its budget is spent; this is the backstop if it hangs
    # (a lock, a dead server). SIGTERM lets it drop its database on the way out.
    limit = args.max_seconds + 120
    watchdog = threading.Timer(limit, proc.terminate)
    watchdog.start()
    result = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            if line.startswith("BENCH "):
                result = json.loads(line[6:])
        proc.wait()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    if proc.returncode != 0:
        print(f"[{db}] failed (exit {proc.returncode})", flush=True)
        return None
    return result


def _terminate(signum, frame):  # noqa: ARG001
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.db != "both":
        signal.signal(signal.SIGTERM, _terminate)  # so the finally blocks clean up
        result = run_one(args.db, args)
        report(result)
        return 0
    results = [run_child(db, args) for db in ("sqlite", "postgres")]
    print("\nSummary")
    for db, r in zip(("sqlite", "postgres"), results, strict=True):
        if r is None:
            print(f"  {db:9} FAILED")
        else:
            print(f"  {db:9} deal_move {r['moves_per_s']:6.0f}/s   bare {r['bare_per_s']:6.0f}/s"
                  f"   ratio {r['ratio']:.2f}x   goal {'met' if r['goal_met'] else 'MISSED'}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
