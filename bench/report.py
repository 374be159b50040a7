"""Funnel and time-in-stage reports on a large log, next to DuckDB on the same rows.

Run from the project root (needs the ``bench`` extra: ``pip install -e '.[dev,bench]'``):

    .venv/bin/python bench/report.py [--deals 1000000] [--db sqlite|postgres|both]

The data (deterministic, seed 7) is written once as CSV under var/bench/report-<deals>/ and
loaded with bulk inserts — SQLite executemany, PostgreSQL COPY, DuckDB read_csv — with the
secondary indexes dropped during the load and rebuilt after. Five teams of 20 managers, one
pipeline each (5, 5, 5, 10 and 20 stages), deals created over two years from six sources,
~6 transitions a deal: advances, skips, wins, losses with reasons, reopenings, corrections.

Measured per database (a fresh SQLite file under var/bench/, PostgreSQL
``voronka_reportbench``), in one process: the load and the rollup rebuild (wall and, for
SQLite, CPU time: the shared machine's load stretches wall time), then each report through its
selector (what a page calls: freshness check, context, cell reads, assembly) alternating run
by run with the same figures computed from the raw rows by DuckDB in memory (``raw.py``'s SQL,
the same assembly) — medians, and the ratio (goal: <= 1). Up to 200,000 deals the raw SQL is
also timed on the database itself (beyond, one raw flow query on SQLite takes minutes). Every
report's figures are checked equal across the computations. Last, the cost of keeping up:
N moves through ``deal_move``, then one refresh.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from report_data import (  # noqa: E402
    DEAL_COLS,
    MOVE_COLS,
    dimensions,
    generate,
    load,
    pg_recreate,
)

PG_URL = "postgres://postgres@127.0.0.1:5432/voronka_reportbench"
TZ = "Europe/Moscow"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--deals", type=int, default=1_000_000)
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--runs", type=int, default=7, help="timed runs of each report")
    p.add_argument("--moves", type=int, default=2000, help="moves before the refresh test")
    p.add_argument("--raw-on-db", choices=("auto", "yes", "no"), default="auto",
                   help="also time the raw SQL on SQLite/PostgreSQL (auto: up to 200,000 deals; "
                        "beyond, a single raw flow query on SQLite takes minutes)")
    p.add_argument("--keep", action="store_true",
                   help="keep the databases afterwards (default: removed; the CSV stays cached)")
    p.add_argument("--pg-url", default=PG_URL)
    p.add_argument("--child", default="", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# --- the reports --------------------------------------------------------------------------

Y2025 = (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
ODD = (datetime.date(2025, 2, 10), datetime.date(2025, 11, 20))
# name: (report, pipeline, period, mode, owner, source)
CASES = {
    "funnel cohort": ("funnel", 1, Y2025, "cohort", None, None),
    "funnel flow": ("funnel", 1, Y2025, "flow", None, None),
    "time in stage": ("timing", 1, Y2025, "flow", None, None),
    "funnel, one manager": ("funnel", 1, Y2025, "cohort", 1, None),
    "funnel, one source": ("funnel", 1, Y2025, "cohort", None, "ads"),
    "funnel, 10 Feb–20 Nov": ("funnel", 1, ODD, "cohort", None, None),
    "time in stage, 10 Feb–20 Nov": ("timing", 1, ODD, "flow", None, None),
    "funnel cohort, 10 stages": ("funnel", 4, Y2025, "cohort", None, None),
    "funnel cohort, 20 stages": ("funnel", 5, Y2025, "cohort", None, None),
    "time in stage, 10 stages": ("timing", 4, Y2025, "flow", None, None),
    "time in stage, 20 stages": ("timing", 5, Y2025, "flow", None, None),
}
RAW_ON_DB = ("funnel cohort", "funnel flow", "time in stage")


def _filters(case):
    from voronka.analytics.query import Filters

    _report, pipeline, period, mode, owner, source = case
    return Filters(pipeline_id=pipeline, date_from=period[0], date_to=period[1], mode=mode,
                   owner_id=owner, source=source)


def summary(report: str, result) -> list:
    """The figures of a report as plain JSON, for comparing the three computations."""
    if report == "funnel":
        return [[[s.reached.n, str(s.reached.budget), s.now.n, str(s.now.budget), s.lost.n,
                  str(s.lost.budget)] for s in result.stages],
                [result.won.n, str(result.won.budget), result.requests.n]]
    v = result.velocity
    return [[[s.stays, round(s.mean_hours or 0, 6), s.median_hours, s.p90_hours, s.over_limit]
             for s in result.stages],
            [result.cycle.won, result.cycle.median_days, result.cycle.p90_days],
            [v.open.n, v.won.n, v.lost, str(v.per_day)]]


def from_cells(report: str, ctx, fetch):
    """Assemble a report from cells given by ``fetch(table, period, group, where)`` — the
    selectors' own assembly, so raw and rollup runs differ only in where the cells come from."""
    from voronka.analytics import funnel, timing

    f = ctx.filters
    period = (f.date_from, f.date_to)
    if report == "funnel":
        if f.mode == "cohort":
            main = fetch("C", period, funnel.COHORT_GROUP, None)
            now: dict = {}
            for (_far, stage, status, _r), (n, c) in main.items():
                if status == "open":
                    cell = now.setdefault((stage,), [0, 0])
                    cell[0] += n
                    cell[1] += c
        else:
            main = fetch("F", period, funnel.FLOW_GROUP, None)
            now = fetch("C", None, ("stage_id",), {"status": "open"})
        return funnel.build_funnel(ctx, f.mode, main, now)
    rows = fetch("D", period, ("kind", "stage_id", "bucket"), None)
    outcomes = fetch("F", period, ("kind",), None)
    open_now = fetch("C", None, (), {"status": "open"})
    return timing.Timing(timing.stage_times(ctx, rows), timing.cycle(rows),
                         timing.velocity(outcomes, open_now, rows))


def raw_fetcher(cursor, dialect, ctx):
    from voronka.analytics.raw import raw_cells

    def fetch(table, period, group, where):
        return raw_cells(cursor, dialect, table, ctx.scope.pipeline_id, period, group,
                         owners=ctx.scope.owners, source=ctx.scope.source, where=where)
    return fetch


def _interleaved(ours, theirs, runs: int) -> tuple[float, float, object, object]:
    """Median ms of ``ours`` and ``theirs``, run alternately (the machine's noise hits both)."""
    a, b = ours(), theirs()  # warm-up: caches, plans, compiled queries
    ta, tb = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        a = ours()
        ta.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        b = theirs()
        tb.append(time.perf_counter() - t0)
    return (round(statistics.median(ta) * 1000, 2), round(statistics.median(tb) * 1000, 2),
            a, b)


def duck_load(data: Path, meta: dict):
    """The same rows in DuckDB, in memory."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE pipelines_stage (id BIGINT, pipeline_id BIGINT, position INT)")
    con.executemany("INSERT INTO pipelines_stage VALUES (?, ?, ?)",
                    [(s["id"], s["pipeline"], s["position"]) for s in meta["stages"]])
    types = {"id": "BIGINT", "pipeline_id": "BIGINT", "owner_id": "BIGINT", "source": "VARCHAR",
             "budget": "DECIMAL(14,2)", "created_at": "TIMESTAMPTZ", "furthest_stage_id":
             "BIGINT", "stage_id": "BIGINT", "status": "VARCHAR", "loss_reason_id": "BIGINT",
             "stage_entered_at": "TIMESTAMPTZ", "closed_at": "TIMESTAMPTZ", "deal_id": "BIGINT",
             "kind": "VARCHAR", "from_stage_id": "BIGINT", "to_stage_id": "BIGINT",
             "at": "TIMESTAMPTZ", "seconds_in_stage": "BIGINT"}
    for table, cols, name in (("deals_deal", DEAL_COLS, "deals.csv"),
                              ("deals_transition", MOVE_COLS, "transitions.csv")):
        spec = "{" + ", ".join(f"'{c}': '{types[c]}'" for c in cols) + "}"
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{data / name}', "
                    f"header = false, columns = {spec})")
    # As in the loaded databases: the generated log records no budget on its moves (NULL: the
    # reports use the deal's budget).
    con.execute("ALTER TABLE deals_transition ADD COLUMN budget DECIMAL(14,2)")
    return con


def child(args: argparse.Namespace, data: Path) -> dict:
    """Build one database, time everything on it; runs in its own process."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "voronka.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from voronka.accounts.models import User
    from voronka.analytics import rollups
    from voronka.analytics.funnel import funnel_report
    from voronka.analytics.models import CohortCell, DurationCell, FlowCell
    from voronka.analytics.query import context
    from voronka.analytics.raw import DUCKDB, Dialect
    from voronka.analytics.timing import timing_report

    out: dict = {"db": connection.vendor, "phases": {}, "reports": {}}

    def phase(name, fn):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        out["phases"][f"{name}_s"] = round(time.perf_counter() - t0, 1)
        out["phases"][f"{name}_cpu_s"] = round(time.process_time() - c0, 1)

    meta = json.loads((data / "meta.json").read_text())
    phase("migrate", lambda: call_command("migrate", verbosity=0))
    phase("load", lambda: (dimensions(meta), load(data)))
    phase("rebuild", rollups.rebuild)
    out["cells"] = {m.__name__: m.objects.count() for m in (CohortCell, FlowCell, DurationCell)}
    t0 = time.perf_counter()
    con = duck_load(data, meta)
    out["phases"]["duckdb_load_s"] = round(time.perf_counter() - t0, 1)
    admin = User.objects.get(pk=10_000)
    selectors = {"funnel": funnel_report, "timing": timing_report}
    ours_dialect, duck_dialect = Dialect(connection.vendor, settings.TIME_ZONE), Dialect(DUCKDB, TZ)
    raw_on_db = args.raw_on_db == "yes" or (args.raw_on_db == "auto" and meta["deals"] <= 200_000)
    for name, case in CASES.items():
        f = _filters(case)
        ctx = context(admin, f)
        ours_ms, duck_ms, (_ctx, result), baseline = _interleaved(
            lambda f=f, c=case: selectors[c[0]](user=admin, filters=f),
            lambda c=case, x=ctx: from_cells(c[0], x, raw_fetcher(con, duck_dialect, x)),
            args.runs)
        figures = summary(case[0], result)
        entry = {"ms": ours_ms, "duckdb_ms": duck_ms,
                 "equal": figures == summary(case[0], baseline)}
        if raw_on_db and name in RAW_ON_DB:
            with connection.cursor() as cur:
                t0 = time.perf_counter()
                raw = from_cells(case[0], ctx, raw_fetcher(cur, ours_dialect, ctx))
                entry["raw_ms"] = round((time.perf_counter() - t0) * 1000, 1)
            entry["equal"] = entry["equal"] and summary(case[0], raw) == figures
        out["reports"][name] = entry
    out["refresh"] = _keep_up(args.moves)
    return out


def _keep_up(n_moves: int) -> dict:
    """N moves through the service (system actor), then one refresh of the rollups."""
    from voronka.analytics import rollups
    from voronka.deals.models import Deal
    from voronka.deals.services import deal_move
    from voronka.pipelines.models import Stage

    order = {p: list(Stage.objects.filter(pipeline_id=p).order_by("position"))
             for p in range(1, 6)}
    deals = list(Deal.objects.filter(status="open").order_by("-id")[:n_moves])
    moved, t0 = 0, time.perf_counter()
    for deal in deals:
        stages = order[deal.pipeline_id]
        i = [s.pk for s in stages].index(deal.stage_id)
        if i + 1 < len(stages):
            deal_move(deal=deal, to_stage=stages[i + 1], actor=None)
            moved += 1
    moves_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    redone = rollups.refresh()
    refresh_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    return {"moves": moved, "moves_per_s": round(moved / moves_s), "deals_redone": redone,
            "refresh_ms": round(refresh_s * 1000), "refresh_cpu_ms": round(cpu_s * 1000),
            "per_deal_ms": round(refresh_s * 1000 / max(1, redone), 2)}


# --- the summary --------------------------------------------------------------------------

def main(argv=None) -> int:
    args = parse_args(argv)
    data = ROOT / "var" / "bench" / f"report-{args.deals}"
    if args.child:
        print("RESULT " + json.dumps(child(args, data)), flush=True)
        return 0
    started = time.perf_counter()
    if (data / "meta.json").exists():
        meta = json.loads((data / "meta.json").read_text())
    else:
        t0 = time.perf_counter()
        meta = generate(data, args.deals)
        print(f"generated {meta['deals']:,} deals, {meta['transitions']:,} transitions "
              f"in {time.perf_counter() - t0:.0f} s", flush=True)
    results = []
    for db in (("sqlite", "postgres") if args.db == "both" else (args.db,)):
        env = dict(os.environ, TIME_ZONE=TZ, DEBUG="0",
                   SECRET_KEY="bench-only-secret-key-not-for-production")
        if db == "sqlite":
            path = ROOT / "var" / "bench" / "report.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            env["DATABASE_URL"] = f"sqlite:///{path}"
        else:
            pg_recreate(args.pg_url)
            env["DATABASE_URL"] = args.pg_url
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--deals", str(args.deals), "--runs",
                               str(args.runs), "--moves", str(args.moves), "--raw-on-db",
                               args.raw_on_db, "--child", db],
                              env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-5000:], file=sys.stderr)
            return proc.returncode
        line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
        result = json.loads(line[len("RESULT "):])
        result["total_s"] = round(time.perf_counter() - t0)
        if not args.keep:
            if db == "sqlite":
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            else:
                pg_recreate(args.pg_url, create=False)
        results.append(result)
        print(f"{db}: done in {result['total_s']} s", flush=True)
    report(meta, results, time.perf_counter() - started)
    return 0


def report(meta: dict, results: list[dict], elapsed: float) -> None:
    import duckdb

    print(f"\n{meta['deals']:,} deals, {meta['transitions']:,} transitions; baseline: DuckDB "
          f"{duckdb.__version__} in memory on the same rows, run alternately with ours")
    for r in results:
        ph = r["phases"]
        cpu = (f" (CPU {ph['load_cpu_s']} s, {ph['rebuild_cpu_s']} s)"
               if r["db"] == "sqlite" else "")
        print(f"\n{r['db']}: migrate {ph['migrate_s']} s, load {ph['load_s']} s, rollup "
              f"rebuild {ph['rebuild_s']} s{cpu}; DuckDB load {ph['duckdb_load_s']} s; "
              f"cells {r['cells']}; total {r['total_s']} s")
        print(f"  {'report':32} {'rollups ms':>11} {'DuckDB ms':>10} {'ratio':>6} "
              f"{'raw on db ms':>13}  figures")
        for name, e in r["reports"].items():
            print(f"  {name:32} {e['ms']:>11} {e['duckdb_ms']:>10} "
                  f"{e['ms'] / e['duckdb_ms']:>6.2f} {e.get('raw_ms', ''):>13}  "
                  f"{'equal' if e['equal'] else 'DIFFERENT'}")
        k = r["refresh"]
        print(f"  keeping up: {k['moves']} moves ({k['moves_per_s']}/s), then a refresh of "
              f"{k['deals_redone']} deals in {k['refresh_ms']} ms ({k['per_deal_ms']} ms/deal)")
        print("BENCH " + json.dumps({"db": r["db"], "deals": meta["deals"],
                                     "transitions": meta["transitions"], **ph,
                                     "reports": {n: [e["ms"], e["duckdb_ms"]]
                                                 for n, e in r["reports"].items()},
                                     "refresh": k}))
    print(f"\nwhole run: {elapsed / 60:.1f} min")


if __name__ == "__main__":
    sys.exit(main())
