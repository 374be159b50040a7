"""Full backup and restore: one zip file holding a JSON document per model, in dependency
order, with a manifest. Restoring into an empty (migrated) database gives back the same rows
with the same ids; the analytics rollups are derived data and are rebuilt, not stored."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "voronka-dump/1"
# Derived (rebuilt on restore) or transient (sessions, job results).
SKIP_APPS = {"analytics"}
BATCH = 2000


class RestoreError(Exception):
    pass


def _models() -> list:
    app_list = {}
    for app in apps.get_app_configs():
        if not app.name.startswith("voronka.") or app.label in SKIP_APPS:
            continue
        app_list[app] = [m for m in app.get_models() if not m._meta.proxy
                         and m._meta.managed]
    return serializers.sort_dependencies(app_list.items(), allow_cycles=True)


def dump(path: str | Path) -> dict[str, int]:
    """Write everything to ``path`` (a zip). Returns rows per model."""
    counts: dict[str, int] = {}
    order: list[str] = []
    with transaction.atomic(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:  # one snapshot for every table
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for model in _models():
            label = model._meta.label_lower
            qs = model._default_manager.order_by("pk")
            with zf.open(f"{label}.json", "w") as out:
                data = serializers.serialize("json", qs.iterator(chunk_size=BATCH),
                                             use_natural_foreign_keys=True)
                out.write(data.encode())
            counts[label] = qs.count()
            order.append(label)
        zf.writestr("manifest.json", json.dumps({
            "format": FORMAT, "created_at": timezone.now().isoformat(),
            "time_zone": settings.TIME_ZONE, "models": order, "counts": counts}, indent=1))
    return counts


def _is_empty() -> bool:
    from voronka.accounts.models import User
    from voronka.deals.models import Deal
    from voronka.pipelines.models import Pipeline

    return not (User.objects.exists() or Pipeline.objects.exists() or Deal.objects.exists())


def restore(path: str | Path) -> dict[str, int]:
    """Load a dump into an empty database, all or nothing, then rebuild the rollups."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise RestoreError(_("Not a Voronka dump file.")) from exc
    with zf:
        try:
            manifest = json.loads(zf.read("manifest.json"))
        except (KeyError, ValueError) as exc:
            raise RestoreError(_("Not a Voronka dump file.")) from exc
        if manifest.get("format") != FORMAT:
            raise RestoreError(_("Unknown dump format “%(f)s”.") % {"f": manifest.get("format")})
        if not _is_empty():
            raise RestoreError(_("The database is not empty; restore needs a fresh one."))
        counts: dict[str, int] = {}
        with transaction.atomic():
            touched = []
            for label in manifest["models"]:
                try:
                    model = apps.get_model(label)
                except LookupError as exc:
                    raise RestoreError(_("The dump has an unknown model %(m)s.")
                                       % {"m": label}) from exc
                touched.append(model)
                pending, m2m, n = [], [], 0
                for item in serializers.deserialize("json", zf.read(f"{label}.json"),
                                                    handle_forward_references=False):
                    n += 1
                    if item.m2m_data and any(item.m2m_data.values()):
                        m2m.append(item)
                    else:
                        pending.append(item.object)
                    if len(pending) >= BATCH:
                        model._default_manager.bulk_create(pending)
                        pending = []
                model._default_manager.bulk_create(pending)
                for item in m2m:
                    item.save()
                counts[label] = n
            with connection.cursor() as cur:
                for sql in connection.ops.sequence_reset_sql(no_style(), touched):
                    cur.execute(sql)
    from voronka.analytics.rollups import rebuild

    rebuild()
    return counts
