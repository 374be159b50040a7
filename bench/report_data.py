"""The data of bench/report.py: a deterministic generator writing CSV, and the bulk loader.

Five teams of 20 managers, one pipeline each (5, 5, 5, 10 and 20 stages), deals created over
two years from six sources; per deal a created transition, advances (15 % of them skips),
5 % corrected back by an administrator, losses with one of five reasons, 13 % of the losses
reopened, 85 % of the deals that reach the last stage won. Stay durations are exponential with
a mean per stage of 0.5–9 days. Deals still running at the end stay open.
"""

from __future__ import annotations

import csv
import datetime
import json
import random
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

END = datetime.datetime(2025, 12, 31, 21, 0, tzinfo=datetime.UTC)
DAYS = 730
STAGE_COUNTS = (5, 5, 5, 10, 20)
SOURCES = (("site", 30), ("ads", 25), ("referral", 15), ("cold_call", 12), ("expo", 8),
           ("partner", 10))
REASONS = ("Дорого", "Выбрали конкурента", "Нет потребности", "Не дозвонились", "Отложили")


# --- the data -----------------------------------------------------------------------------

def _stamp(t: datetime.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def generate(out: Path, n_deals: int) -> dict:
    """Write meta.json, deals.csv and transitions.csv; return the meta."""
    rnd = random.Random(7)
    meta = {"teams": [], "users": [], "pipelines": [], "stages": [], "reasons": []}
    uid = sid = rid = 0
    for t, n_stages in enumerate(STAGE_COUNTS, start=1):
        meta["teams"].append({"id": t, "name": f"Отдел {t}"})
        meta["pipelines"].append({"id": t, "team": t, "name": f"Воронка {t} ({n_stages})"})
        for _ in range(20):
            uid += 1
            meta["users"].append({"id": uid, "team": t, "email": f"m{uid}@bench.test"})
        for i in range(n_stages):
            sid += 1
            meta["stages"].append({"id": sid, "pipeline": t, "position": i,
                                   "limit": rnd.choice([None, 48, 72, 168, 336]),
                                   "mean_days": rnd.uniform(0.5, 9)})
        for name in REASONS:
            rid += 1
            meta["reasons"].append({"id": rid, "pipeline": t, "name": name})
    stages = {p: [s for s in meta["stages"] if s["pipeline"] == p] for p in range(1, 6)}
    reasons = {p: [r["id"] for r in meta["reasons"] if r["pipeline"] == p] for p in range(1, 6)}
    owners = {p: [u["id"] for u in meta["users"] if u["team"] == p] for p in range(1, 6)}
    sources, weights = zip(*SOURCES, strict=True)
    created = sorted(END - datetime.timedelta(seconds=rnd.randrange(DAYS * 86400))
                     for _ in range(n_deals))
    tid = 0
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "deals.csv", "w", newline="") as fd, \
            open(out / "transitions.csv", "w", newline="") as ft:
        deals, moves = csv.writer(fd), csv.writer(ft)
        for deal_id, born in enumerate(created, start=1):
            p = rnd.randrange(1, 6)
            st, owner = stages[p], rnd.choice(owners[p])
            q = 0.9 if len(st) == 5 else 0.85

            def log(kind, src, dst, at, secs, reason="", deal_id=deal_id, p=p, owner=owner):
                nonlocal tid
                tid += 1
                moves.writerow([tid, deal_id, p, kind, src, dst, _stamp(at), secs, owner,
                                reason])

            here, far, now, entered = 0, 0, born, born
            status, reason, closed = "open", "", ""
            log("created", "", st[0]["id"], now, 0)
            while True:
                stay = max(60, int(rnd.expovariate(1 / (st[here]["mean_days"] * 86400))))
                if now + datetime.timedelta(seconds=stay) > END:
                    break
                now += datetime.timedelta(seconds=stay)
                last = here == len(st) - 1
                if (last and rnd.random() < 0.85) or (not last and rnd.random() < q):
                    if last:
                        log("won", st[here]["id"], st[-1]["id"], now, stay)
                        status, far, closed = "won", here, now
                    else:
                        step = 2 if rnd.random() < 0.15 and here + 2 < len(st) else 1
                        log("advance" if step == 1 else "skip", st[here]["id"],
                            st[here + step]["id"], now, stay)
                        here += step
                        far, entered = max(far, here), now
                        if here > 0 and rnd.random() < 0.05:  # an admin puts it back
                            now += datetime.timedelta(hours=rnd.randint(1, 48))
                            log("correction", st[here]["id"], st[here - 1]["id"], now,
                                int((now - entered).total_seconds()))
                            here, entered = here - 1, now
                        continue
                else:
                    reason = rnd.choice(reasons[p])
                    log("lost", st[here]["id"], st[here]["id"], now, stay, reason)
                    status, closed = "lost", now
                if status == "won" or rnd.random() > 0.13:
                    break
                now += datetime.timedelta(days=rnd.randint(1, 60))  # reopened from the archive
                if now > END:
                    break
                log("reopen", st[here]["id"], st[here]["id"], now, 0)
                status, reason, closed, entered = "open", "", "", now
            budget = f"{rnd.randrange(1_000_000, 500_000_000) / 100:.2f}"
            source = rnd.choices(sources, weights)[0]
            deals.writerow([deal_id, p, owner, source, budget, _stamp(born),
                            st[far]["id"], st[here]["id"], status, reason,
                            _stamp(entered), _stamp(closed) if closed else ""])
    meta["deals"], meta["transitions"] = n_deals, tid
    (out / "meta.json").write_text(json.dumps(meta))
    return meta


# --- loading ------------------------------------------------------------------------------

def pg_recreate(url: str, *, create: bool = True) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if name in ("", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use {name!r} as the bench database")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if create:
            c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def dimensions(meta: dict) -> None:
    from voronka.accounts.models import Role, Team, User
    from voronka.pipelines.models import LossReason, Pipeline, Stage

    Team.objects.bulk_create([Team(id=t["id"], name=t["name"]) for t in meta["teams"]])
    User.objects.create_user("admin@bench.test", "bench-pass", role=Role.ADMIN, id=10_000)
    User.objects.bulk_create([User(id=u["id"], email=u["email"], team_id=u["team"],
                                   full_name=f"Менеджер {u['id']}", role=Role.MANAGER)
                              for u in meta["users"]])
    Pipeline.objects.bulk_create([Pipeline(id=p["id"], team_id=p["team"], name=p["name"],
                                           position=p["id"]) for p in meta["pipelines"]])
    Stage.objects.bulk_create([Stage(id=s["id"], pipeline_id=s["pipeline"],
                                     position=s["position"], name=f"Этап {s['position'] + 1}",
                                     time_limit_hours=s["limit"]) for s in meta["stages"]])
    LossReason.objects.bulk_create([LossReason(id=r["id"], pipeline_id=r["pipeline"],
                                               name=r["name"], position=r["id"])
                                    for r in meta["reasons"]])


DEAL_COLS = ("id", "pipeline_id", "owner_id", "source", "budget", "created_at",
             "furthest_stage_id", "stage_id", "status", "loss_reason_id", "stage_entered_at",
             "closed_at")
MOVE_COLS = ("id", "deal_id", "pipeline_id", "kind", "from_stage_id", "to_stage_id", "at",
             "seconds_in_stage", "owner_id", "loss_reason_id")


def _fixed(model, cols) -> dict[str, object]:
    """The columns the CSV does not carry, with each field's default as a database value."""
    from django.db import connection

    out = {}
    for f in model._meta.concrete_fields:
        if f.column not in cols:
            value = "Сделка" if f.name == "title" else f.get_default()
            out[f.column] = f.get_db_prep_save(value, connection)
    return out


def _indexes(cur, vendor: str, table: str) -> list[tuple[str, str]]:
    if vendor == "sqlite":
        cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                    "AND sql IS NOT NULL", [table])
    else:
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND "
                    "indexname NOT IN (SELECT conname FROM pg_constraint)", [table])
    return cur.fetchall()


def load(data: Path) -> None:
    """Bulk-load the CSVs into deals_deal and deals_transition, indexes rebuilt after."""
    from django.db import connection

    from voronka.deals.models import Deal, Transition

    vendor = connection.vendor
    with connection.cursor() as cur:
        if vendor == "sqlite":
            # A one-off load into a private file: no rollback journal, no fsync, big cache.
            cur.execute("PRAGMA foreign_keys = OFF")
            cur.execute("PRAGMA journal_mode = OFF")
            cur.execute("PRAGMA synchronous = OFF")
            cur.execute("PRAGMA cache_size = -400000")
            cur.execute("PRAGMA temp_store = MEMORY")
        else:
            cur.execute("SET session_replication_role = replica")  # no FK triggers in the load
        for model, cols, name in ((Deal, DEAL_COLS, "deals.csv"),
                                  (Transition, MOVE_COLS, "transitions.csv")):
            table, fixed = model._meta.db_table, _fixed(model, cols)
            extra = list(fixed.values())
            saved = _indexes(cur, vendor, table)
            for index, _sql in saved:
                cur.execute(f"DROP INDEX {index}")
            all_cols = ", ".join((*cols, *fixed))
            if vendor == "sqlite":
                marks = ", ".join(["?"] * (len(cols) + len(fixed)))
                sql = f"INSERT INTO {table} ({all_cols}) VALUES ({marks})"
                raw = connection.connection  # the sqlite3 connection: no per-row wrapper
                with open(data / name, newline="") as f:
                    rows = ([None if v == "" else v for v in row] + extra
                            for row in csv.reader(f))
                    while batch := [r for _, r in zip(range(50_000), rows, strict=False)]:
                        raw.executemany(sql, batch)
                raw.commit()
            else:
                cur.execute(f"CREATE TEMP TABLE load_{table} AS SELECT {', '.join(cols)} "
                            f"FROM {table} WITH NO DATA")
                with open(data / name, "rb") as f, cur.cursor.copy(
                        f"COPY load_{table} ({', '.join(cols)}) FROM STDIN (FORMAT csv)") as cp:
                    while block := f.read(1 << 20):
                        cp.write(block)
                cur.execute(f"INSERT INTO {table} ({all_cols}) SELECT {', '.join(cols)}, "
                            f"{', '.join(['%s'] * len(fixed))} FROM load_{table}", extra)
                cur.execute(f"DROP TABLE load_{table}")
            for _index, ddl in saved:
                cur.execute(ddl)
        if vendor == "postgresql":
            cur.execute("SET session_replication_role = DEFAULT")
            for table in ("deals_deal", "deals_transition", "accounts_user"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT MAX(id) FROM {table}))")
            cur.execute("ANALYZE")
        else:
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA analysis_limit = 1000")  # sampled statistics: seconds, not minutes
            cur.execute("ANALYZE")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")


