"""Import use cases: read → map → validate every row → write all (or only the good rows with
"skip bad rows") in one transaction → refresh the analytics rollups.

A dry run does everything, including the writes, inside a transaction it then rolls back,
so its counts (new vs matched contacts…) are exactly what the real run will do."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.accounts.models import User
from voronka.core.errors import PermissionDenied, ValidationError
from voronka.core.normalize import clean_text
from voronka.crm.models import Company, Contact
from voronka.deals.models import Deal
from voronka.pipelines.models import Pipeline

from . import rows as row_rules
from .history import attach_history
from .lookups import Lookups
from .mapping import CUSTOM_PREFIX, TARGETS
from .models import ImportedRecord, ImportRun, Kind, SavedMapping
from .reading import ImportFileError, read_table
from .rows import Record, Row, RowError
from .selectors import import_owners
from .writer import BATCH, Writer

Progress = Callable[[str, int, int], None]
REQUIRED = {Kind.DEALS: [["title"]], Kind.COMPANIES: [["name"]],
            Kind.CONTACTS: [["full_name", "first_name", "last_name", "phone", "email"]]}
MODELS = {Kind.DEALS: Deal, Kind.CONTACTS: Contact, Kind.COMPANIES: Company}


class _DryRun(Exception):
    pass


def can_import(user: User | None) -> bool:
    return user is None or user.is_admin or user.is_head


def _check_mapping(kind: str, header: list[str], mapping: dict[str, str]) -> dict[str, str]:
    mapping = {t: c for t, c in (mapping or {}).items() if c}
    known = set(TARGETS[kind])
    for target in mapping:
        if target not in known and not (kind == Kind.DEALS and target.startswith(CUSTOM_PREFIX)):
            raise ImportFileError("mapping", _("Unknown field “%(t)s” in the mapping.")
                                  % {"t": target})
    names = {h.strip().lower(): h for h in header}
    missing = [c for c in mapping.values() if c.strip().lower() not in names]
    if missing:
        raise ImportFileError("missing_columns", _("The file has no column “%(col)s”.")
                              % {"col": missing[0]})
    for group in REQUIRED[kind]:
        if not any(t in mapping for t in group):
            raise ImportFileError("missing_columns", _(
                "No column is mapped to “%(field)s”, which is required.")
                % {"field": TARGETS[kind][group[0]]})
    return {t: names[c.strip().lower()] for t, c in mapping.items()}


def _duplicates(kind: str, source: str, records: list[Record], errors: list[RowError],
                mapping: dict[str, str]) -> None:
    column = mapping.get("external_id", "external_id")
    first: dict[str, int] = {}
    for rec in records:
        if not rec.external_id:
            continue
        if rec.external_id in first:
            reason = _("Duplicate ID “%(id)s” (also on row %(row)d).") % {
                "id": rec.external_id, "row": first[rec.external_id]}
            errors.append(RowError(rec.row, column, reason))
        else:
            first[rec.external_id] = rec.row
    if not first:
        return
    seen = dict(ImportedRecord.objects.filter(source=source, kind=kind,
                                              external_id__in=list(first))
                .values_list("external_id", "object_id"))
    alive = set(MODELS[kind].objects.filter(pk__in=seen.values()).values_list("pk", flat=True))
    for ext, pk in seen.items():
        if pk in alive:
            errors.append(RowError(first[ext], column, _(
                "ID “%(id)s” was imported from this source before (#%(pk)d).")
                % {"id": ext, "pk": pk}))


OWNER_REFUSED = gettext_lazy("Choose the owner from the list: an active user of your team "
                             "who may own deals.")


def _may_own(actor: User | None, owner_id: int) -> bool:
    return import_owners(user=actor).filter(pk=owner_id).exists()


def import_file(*, actor: User | None, kind: str, path: str | os.PathLike, file_name: str = "",
                mapping: dict[str, str], source: str = "", encoding: str = "auto",
                pipeline: Pipeline | None = None, default_owner: User | None = None,
                history_path: str | os.PathLike | None = None, skip_bad_rows: bool = False,
                dry_run: bool = False, progress: Progress | None = None,
                run: ImportRun | None = None) -> dict[str, Any]:
    """Import one file of ``kind``. Raises ImportFileError for a file that cannot be read at
    all; returns the result with every rejected row (row, column, reason) otherwise."""
    if not can_import(actor):
        raise PermissionDenied(_("Only an administrator or a head of sales may import."))
    if default_owner is not None and not _may_own(actor, default_owner.pk):
        raise ImportFileError("owner", str(OWNER_REFUSED))
    progress = progress or (lambda _phase, _done, _total: None)
    source = (source or file_name or Path(path).name)[:100]
    table = read_table(path, file_name=file_name, encoding=encoding)
    mapping = _check_mapping(kind, table.header, mapping)
    columns = {h: i for i, h in enumerate(table.header)}
    lookups = Lookups(actor)
    default_owner = default_owner or actor
    total = len(table.rows)
    records: list[Record] = []
    errors: list[RowError] = []
    bad: set[int] = set()
    for n, cells in enumerate(table.rows, start=2):
        if not cells:
            continue
        row = Row(n, cells, columns, mapping)
        if kind == Kind.DEALS:
            rec = row_rules.deal_record(row, lookups, default_pipeline=pipeline,
                                        default_owner=default_owner)
        elif kind == Kind.CONTACTS:
            rec = row_rules.contact_record(row, lookups, default_owner=default_owner)
        else:
            rec = row_rules.company_record(row, lookups, default_owner=default_owner)
        records.append(rec)
        if row.errors:
            errors += row.errors
            bad.add(n)
        if n % 5000 == 0:
            progress("validate", n - 1, total)
    _duplicates(kind, source, records, errors, mapping)
    if history_path and kind == Kind.DEALS:
        history = read_table(history_path, encoding=encoding)
        by_ext = {r.external_id: r for r in records if r.external_id and r.row not in bad}
        herrors = attach_history(history, by_ext)
        errors += herrors
        # A bad history row rejects its deal: a deal is never imported with half its history.
        index = {r.external_id: r.row for r in records}
        for err in herrors:
            if err.column.startswith("history") and err.row > 1:
                for rec in by_ext.values():
                    if err.row in rec.values.get("history_rows", []):
                        bad.add(rec.row)
            elif err.row in index.values():
                bad.add(err.row)
        if any(e.row == 1 for e in herrors):
            bad.update(r.row for r in records)
    bad.update(e.row for e in errors)
    errors.sort(key=lambda e: (e.row, e.column))
    result: dict[str, Any] = {"kind": kind, "rows": len(records), "dry_run": dry_run,
                              "rejected": [e.as_dict() for e in errors],
                              "rejected_rows": len(bad & {r.row for r in records})}
    good = [r for r in records if r.row not in bad]
    if errors and not skip_bad_rows:
        result.update(status="rejected", imported=0)
        return result
    writer = Writer(actor=actor, source=source, kind=kind, run=run)
    try:
        with transaction.atomic():
            for start in range(0, len(good), BATCH):
                batch = good[start:start + BATCH]
                getattr(writer, f"write_{kind}")(batch)
                progress("write", start + len(batch), len(good))
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    result.update(status="dry_run" if dry_run else "done", imported=len(good), **writer.counts)
    if kind == Kind.DEALS and good and not dry_run:
        _refresh_rollups(len(good))
    return result


def _refresh_rollups(imported: int) -> None:
    """Bring the reports up to date. When the import is most of the data (the first import
    into a new Voronka), the bulk rebuild is several times faster than the per-deal refresh
    and gives the same cells (analytics tests hold them equal)."""
    from voronka.analytics.rollups import rebuild, refresh

    if imported >= 1000 and imported * 2 >= Deal.objects.count():
        rebuild()
    else:
        refresh()


# --- mappings remembered per source -------------------------------------------------------

def mapping_save(*, source: str, kind: str, mapping: dict[str, str]) -> SavedMapping:
    saved, _created = SavedMapping.objects.update_or_create(
        source=source[:100], kind=kind,
        defaults={"mapping": {t: c for t, c in mapping.items() if c},
                  "updated_at": timezone.now()})
    return saved


# --- runs (the UI's background path) ------------------------------------------------------

def upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_upload(chunks, file_name: str) -> str:
    """Save an uploaded file under VAR_DIR/imports; the run reads it from there."""
    suffix = Path(file_name).suffix.lower()[:8]
    target = upload_dir() / f"{uuid.uuid4().hex}{suffix}"
    size = 0
    from .reading import max_bytes

    with open(target, "wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > max_bytes():
                out.close()
                target.unlink(missing_ok=True)
                raise ImportFileError("too_large", _(
                    "The file is larger than %(max)d MB; split it.")
                    % {"max": max_bytes() // (1024 * 1024)})
            out.write(chunk)
    return str(target)


@transaction.atomic
def run_create(*, actor: User, kind: str, file_name: str, stored_path: str,
               history_path: str = "", source: str = "", encoding: str = "auto") -> ImportRun:
    if not can_import(actor):
        raise PermissionDenied(_("Only an administrator or a head of sales may import."))
    source = clean_text(source, field="source", max_length=100) or file_name[:100]
    return ImportRun.objects.create(kind=kind, user=actor, file_name=file_name[:300],
                                    stored_path=stored_path, history_path=history_path,
                                    source=source, encoding=encoding)


def run_start(*, run: ImportRun, actor: User, mapping: dict[str, str], options: dict,
              dry_run: bool) -> ImportRun:
    """Remember the mapping for the source and queue the job."""
    from .tasks import import_job

    if run.user_id != actor.pk:
        raise PermissionDenied(_("This import belongs to someone else."))
    owner_id = options.get("owner_id")
    if owner_id is not None and not _may_own(actor, owner_id):
        raise ValidationError({"owner": str(OWNER_REFUSED)})
    mapping_save(source=run.source, kind=run.kind, mapping=mapping)
    ImportRun.objects.filter(pk=run.pk).update(
        mapping=mapping, options=options, dry_run=dry_run, status=ImportRun.Status.QUEUED,
        result={}, finished_at=None)
    progress_write(run.pk, "queued", 0, 0)
    transaction.on_commit(lambda: import_job.enqueue(run.pk))
    run.refresh_from_db()
    return run


def progress_path(run_id: int) -> Path:
    return upload_dir() / f"run-{run_id}.progress.json"


def progress_write(run_id: int, phase: str, done: int, total: int) -> None:
    """Progress goes to a small file, not the database: the run's own transaction holds the
    write lock (SQLite) and hides its rows until the end (PostgreSQL)."""
    tmp = progress_path(run_id).with_suffix(".tmp")
    tmp.write_text(json.dumps({"phase": phase, "done": done, "total": total}))
    tmp.replace(progress_path(run_id))


def progress_read(run_id: int) -> dict[str, Any]:
    try:
        return json.loads(progress_path(run_id).read_text())
    except (OSError, ValueError):
        return {"phase": "", "done": 0, "total": 0}


def run_execute(run_id: int) -> dict[str, Any]:
    """The job: run the import as its user and record the result."""
    run = ImportRun.objects.select_related("user").get(pk=run_id)
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)
    opts = run.options or {}
    pipeline = Pipeline.objects.filter(pk=opts.get("pipeline_id")).first() \
        if opts.get("pipeline_id") else None
    owner = User.objects.filter(pk=opts.get("owner_id")).first() if opts.get("owner_id") \
        else None
    try:
        result = import_file(
            actor=run.user, kind=run.kind, path=run.stored_path, file_name=run.file_name,
            mapping=run.mapping, source=run.source, encoding=run.encoding, pipeline=pipeline,
            default_owner=owner, history_path=run.history_path or None,
            skip_bad_rows=bool(opts.get("skip_bad_rows")), dry_run=run.dry_run,
            progress=lambda phase, done, total: progress_write(run.pk, phase, done, total),
            run=run)
        status = {"done": ImportRun.Status.DONE, "dry_run": ImportRun.Status.DONE}.get(
            result["status"], ImportRun.Status.REJECTED)
    except ImportFileError as exc:
        result, status = {"status": "rejected", "error": {"code": exc.code,
                                                          "message": exc.message}}, \
            ImportRun.Status.REJECTED
    except Exception as exc:  # noqa: BLE001 - recorded for the user; nothing was written
        result, status = {"status": "failed", "error": {"code": "failed",
                                                        "message": str(exc)[:500]}}, \
            ImportRun.Status.FAILED
    ImportRun.objects.filter(pk=run.pk).update(status=status, result=result,
                                               finished_at=timezone.now())
    progress_write(run.pk, "finished", 1, 1)
    if not run.dry_run and status == ImportRun.Status.DONE:
        for path in (run.stored_path, run.history_path):
            if path:
                Path(path).unlink(missing_ok=True)
    return result
