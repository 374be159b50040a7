"""The optional stage history of imported deals: one row per transition (deal ID in the
source, from stage, to stage, when), attached to the deals of the same import."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .mapping import _key
from .reading import Table
from .rows import Record, RowError
from .values import CellError, parse_datetime, word

COLUMNS = {
    "deal_id": ["deal_id", "ID сделки", "Сделка ID", "deal"],
    "from_stage": ["from_stage", "Из этапа", "Старый этап", "Из стадии", "from"],
    "to_stage": ["to_stage", "В этап", "Новый этап", "В стадию", "to"],
    "at": ["at", "Дата", "Дата перехода", "Дата изменения", "date"],
}
LABEL = "history"


def attach_history(table: Table, records: dict[str, Record]) -> list[RowError]:
    """Give each record its transitions (sorted by time); errors name the history file."""
    present = {_key(h): i for i, h in enumerate(table.header)}
    cols: dict[str, int] = {}
    errors: list[RowError] = []
    for target, aliases in COLUMNS.items():
        idx = next((present[_key(a)] for a in aliases if _key(a) in present), None)
        if idx is None and target != "from_stage":
            errors.append(RowError(1, f"{LABEL}: {target}",
                                   _("The history file has no column “%(col)s”.")
                                   % {"col": target}))
        elif idx is not None:
            cols[target] = idx
    if errors:
        return errors

    def cell(cells: list[str], target: str) -> str:
        i = cols.get(target)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    for n, cells in enumerate(table.rows, start=2):
        if not cells:
            continue
        label = lambda t: f"{LABEL}: {table.header[cols[t]]}" if t in cols else t  # noqa: E731
        ext = cell(cells, "deal_id")
        rec = records.get(ext)
        if rec is None:
            errors.append(RowError(n, label("deal_id"), _(
                "No deal with ID “%(value)s” in the deals file.") % {"value": ext[:60]}))
            continue
        info = rec.values.get("info")
        if info is None:
            continue  # the deal's own row is already rejected
        stages = []
        for target in ("from_stage", "to_stage"):
            text = cell(cells, target)
            stage = info.by_name.get(word(text)) if text else None
            if stage is None and (text or target == "to_stage"):
                errors.append(RowError(n, label(target), _(
                    "No stage “%(value)s” in pipeline “%(pipeline)s”.")
                    % {"value": text[:100], "pipeline": info.pipeline.name}))
            stages.append(stage)
        try:
            at = parse_datetime(cell(cells, "at"))
            if at is None:
                raise CellError(_("This field is required."))
        except CellError as exc:
            errors.append(RowError(n, label("at"), str(exc)))
            continue
        if stages[1] is None or (cell(cells, "from_stage") and stages[0] is None):
            continue
        rec.history.append((stages[0], stages[1], at))
        rec.values.setdefault("history_rows", []).append(n)
    for rec in records.values():
        rec.history.sort(key=lambda h: h[2])
        prev = None
        fixed = []
        for from_stage, to_stage, at in rec.history:
            from_stage = from_stage or prev or to_stage
            fixed.append((from_stage, to_stage, at))
            prev = to_stage
        rec.history = fixed
        created = rec.values.get("created_at")
        if rec.history and created and rec.history[0][2] < created:
            errors.append(RowError(rec.row, "created_at", _(
                "The stage history starts before the deal was created.")))
    return errors
