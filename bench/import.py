"""Importing deals from CSV through ``voronka.imports.services.import_file``, next to a bare
``bulk_create`` of the same rows, in the same run.

    .venv/bin/python bench/import.py [--db sqlite|postgres] [--deals 100000]

SQLite: a file under var/bench/ built and removed by the script; PostgreSQL: the database
``voronka_importbench`` on 127.0.0.1:5432 (``--pg-url``), created and dropped.
The CSV has the template's columns: title, stage, status, owner (e-mail), budget, created
and closed dates, loss reason, source, a company for every fourth deal. The import reads,
validates every row (owners, stages, money, dates), finds or creates the companies, checks the
exit facts of passed stages, writes deals and "imported"/won/lost transitions in batches in one
transaction and refreshes the analytics rollups. The bare path parses the same CSV with the
csv module and bulk_creates the same deals and transitions (no validation, no companies, no
rollups). Goal (issue 8): import speed >= 0.5x the bare figure. Prints a ``BENCH`` line.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_csv(path: Path, n: int, stages: list[str], reasons: list[str], owners: list[str]):
    rnd = random.Random(8)
    start = datetime.datetime(2024, 1, 1, 9, 0)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "title", "stage", "status", "owner", "budget", "created_at",
                    "closed_at", "loss_reason", "source", "company"])
        for i in range(n):
            created = start + datetime.timedelta(minutes=5 * i)
            roll = rnd.random()
            status = "won" if roll < 0.15 else "lost" if roll < 0.45 else "open"
            closed = (created + datetime.timedelta(days=rnd.randint(1, 60))
                      if status != "open" else None)
            w.writerow([i + 1, f"Сделка {i + 1}", rnd.choice(stages), status, rnd.choice(owners),
                        f"{rnd.randint(1, 5000) * 100}.00", created.strftime("%Y-%m-%d %H:%M"),
                        closed.strftime("%Y-%m-%d %H:%M") if closed else "",
                        rnd.choice(reasons) if status == "lost" else "",
                        rnd.choice(["Сайт", "Звонок", "Выставка", ""]),
                        f"ООО Клиент {i % 5000}" if i % 4 == 0 else ""])


def bare(path: Path, pipeline, stages, reasons, owners) -> int:
    """Parse the same rows and bulk_create deals and transitions, nothing else."""
    from django.db import transaction
    from django.utils import timezone

    from voronka.deals.models import Deal, Transition

    by_stage = {s.name: s for s in stages}
    by_reason = {r.name: r for r in reasons}
    by_owner = {u.email: u for u in owners}
    deals, rows = [], []
    with open(path, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            created = timezone.make_aware(datetime.datetime.strptime(r["created_at"],
                                                                     "%Y-%m-%d %H:%M"))
            closed = (timezone.make_aware(datetime.datetime.strptime(r["closed_at"],
                                                                     "%Y-%m-%d %H:%M"))
                      if r["closed_at"] else None)
            stage = stages[-1] if r["status"] == "won" else by_stage[r["stage"]]
            deals.append(Deal(title=r["title"], pipeline=pipeline, stage=stage,
                              furthest_stage=stage, status=r["status"],
                              budget=Decimal(r["budget"]), owner=by_owner[r["owner"]],
                              source=r["source"], created_at=created, stage_entered_at=created,
                              closed_at=closed, loss_reason=by_reason.get(r["loss_reason"])))
            rows.append(r)
    with transaction.atomic():
        Deal.objects.bulk_create(deals, batch_size=2000)
        moves = []
        for d in deals:
            moves.append(Transition(deal_id=d.pk, pipeline_id=pipeline.pk, kind="imported",
                                    to_stage=d.stage, at=d.created_at, owner_id=d.owner_id))
            if d.status != "open":
                moves.append(Transition(deal_id=d.pk, pipeline_id=pipeline.pk, kind=d.status,
                                        from_stage=d.stage, to_stage=d.stage, at=d.closed_at,
                                        owner_id=d.owner_id, loss_reason=d.loss_reason))
        Transition.objects.bulk_create(moves, batch_size=2000)
    return len(deals)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--deals", type=int, default=100_000)
    p.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/voronka_importbench")
    args = p.parse_args()
    bench_dir = ROOT / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    if args.db == "sqlite":
        db_file = bench_dir / "import.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{db_file}"
    else:
        import psycopg

        base, name = args.pg_url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = args.pg_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from voronka.accounts.models import Role, Team, User
    from voronka.imports.mapping import guess_mapping
    from voronka.imports.reading import read_table
    from voronka.imports.services import import_file
    from voronka.pipelines.services import pipeline_create

    team = Team.objects.create(name="Bench")
    owners = [User.objects.create_user(f"m{i}@bench.local", "x", role=Role.MANAGER, team=team,
                                       full_name=f"Manager {i}") for i in range(10)]
    admin = User.objects.create_user("admin@bench.local", "x", role=Role.ADMIN)
    stage_defs = [{"name": f"Этап {i}", "requirements": [{"kind": "field_filled",
                                                         "field_name": "budget"}]}
                  for i in range(1, 6)]
    pipeline = pipeline_create(actor=None, team=team, name="Bench", stages=stage_defs,
                               loss_reasons=["Дорого", "Выбрали другого", "Пропал"])
    stages = list(pipeline.stages.order_by("position"))
    reasons = list(pipeline.loss_reasons.all())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "deals.csv"
        make_csv(path, args.deals, [s.name for s in stages], [r.name for r in reasons],
                 [u.email for u in owners])
        size_mb = path.stat().st_size / 1e6
        t0 = time.perf_counter()
        bare(path, pipeline, stages, reasons, owners)
        t_bare = time.perf_counter() - t0
        mapping = guess_mapping("deals", read_table(path, limit=1).header, "template")
        t0 = time.perf_counter()
        result = import_file(actor=admin, kind="deals", path=path, mapping=mapping,
                             source="bench", pipeline=pipeline)
        t_import = time.perf_counter() - t0
    assert result["status"] == "done" and result["imported"] == args.deals, result["rejected"][:5]
    ratio = t_bare / t_import
    print(f"{args.db}: {args.deals} deals, CSV {size_mb:.1f} MB")
    print(f"  import_file: {t_import:.1f} s ({args.deals / t_import:,.0f} deals/s), "
          f"{result['transitions']} transitions, {result['companies_created']} companies")
    print(f"  bare bulk_create: {t_bare:.1f} s ({args.deals / t_bare:,.0f} deals/s)")
    print(f"  ratio {ratio:.2f}x (goal >= 0.5x)")
    print("BENCH " + json.dumps({"bench": "import", "db": args.db, "deals": args.deals,
                                 "import_s": round(t_import, 2), "bare_s": round(t_bare, 2),
                                 "ratio": round(ratio, 3)}))
    if args.db == "postgres":
        from django.db import connections

        connections.close_all()
        import psycopg

        base, name = args.pg_url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
