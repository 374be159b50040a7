"""Import screens: upload → preview and column mapping → dry run or run (a job) → progress and
result; and the export downloads. Thin: parse, call a service or selector, render."""

from __future__ import annotations

from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from voronka.core.errors import ValidationError
from voronka.core.numbers import parse_id
from voronka.web.views.common import web_view

from . import selectors, services
from .exporting import KIND_LABELS, KINDS, export_to
from .history import COLUMNS as HISTORY_COLUMNS
from .mapping import CUSTOM_PREFIX, PRESET_NAMES, TARGETS, detect_preset, guess_mapping
from .models import ImportRun, Kind
from .reading import ImportFileError, read_table

PREVIEW_ROWS = 5


def _staff(request: HttpRequest) -> None:
    if not services.can_import(request.user):
        raise Http404


@web_view
def import_home(request: HttpRequest) -> HttpResponse:
    _staff(request)
    error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", "")
        if upload is None or kind not in Kind.values:
            error = _("Choose what to import and a file.")
        else:
            try:
                stored = services.store_upload(upload.chunks(), upload.name)
                history = request.FILES.get("history")
                history_path = services.store_upload(history.chunks(), history.name) \
                    if history and kind == Kind.DEALS else ""
                encoding = request.POST.get("encoding", "auto")
                header = read_table(stored, file_name=upload.name, encoding=encoding,
                                    limit=1).header
                source = request.POST.get("source") or detect_preset(header)
                run = services.run_create(actor=request.user, kind=kind, file_name=upload.name,
                                          stored_path=stored, history_path=history_path,
                                          source=source, encoding=encoding)
                return redirect("imports:map", run_id=run.pk)
            except ImportFileError as exc:
                error = exc.message
            except ValidationError as exc:
                error = exc.message
    return render(request, "imports/home.html", {
        "section": "import", "runs": selectors.run_list(user=request.user)[:20],
        "kinds": Kind.choices, "presets": PRESET_NAMES.items(),
        "encodings": [("auto", _("Recognise")), ("utf-8", "UTF-8"),
                      ("windows-1251", "Windows-1251")],
        "export_kinds": [(kind, KIND_LABELS[kind]) for kind in KINDS], "error": error,
        "history_columns": list(HISTORY_COLUMNS)})


TEMPLATE = Path(__file__).parent / "data" / "import-template.csv"


@web_view
def import_template(request: HttpRequest) -> HttpResponse:
    """The deals template with every column and three example rows."""
    _staff(request)
    response = HttpResponse(TEMPLATE.read_bytes(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="voronka-import-template.csv"'
    return response


def _targets(kind: str, pipeline_fields: list) -> list[tuple[str, str]]:
    out = [(t, str(label)) for t, label in TARGETS[kind].items()]
    out += [(CUSTOM_PREFIX + f.code, f.name) for f in pipeline_fields]
    return out


@web_view
def import_map(request: HttpRequest, run_id: int) -> HttpResponse:
    _staff(request)
    run = selectors.run_get(user=request.user, pk=run_id)
    pipelines = selectors.importable_pipelines(user=request.user)
    try:
        table = read_table(run.stored_path, file_name=run.file_name, encoding=run.encoding,
                           limit=PREVIEW_ROWS)
    except (ImportFileError, OSError) as exc:
        message = getattr(exc, "message", _("The uploaded file is gone; upload it again."))
        return render(request, "imports/map.html", {"section": "import", "run": run,
                                                    "error": message})
    pipeline_id = parse_id(request.POST.get("pipeline") or request.GET.get("pipeline")) or (
        (run.options or {}).get("pipeline_id") or (pipelines[0].pk if pipelines else None))
    pipeline = next((p for p in pipelines if p.pk == pipeline_id), None)
    fields = list(pipeline.custom_fields.all()) if pipeline and run.kind == Kind.DEALS else []
    targets = _targets(run.kind, fields)
    owner_error, status = "", 200
    if request.method == "POST" and request.POST.get("action") in ("dry_run", "run"):
        mapping = {t: request.POST.get(f"map_{t}", "") for t, _label in targets}
        raw_owner = (request.POST.get("owner") or "").strip()
        options = {"pipeline_id": pipeline.pk if pipeline else None,
                   # An id that cannot be one is 0, which no user has: the service names the field.
                   "owner_id": (parse_id(raw_owner) or 0) if raw_owner else None,
                   "skip_bad_rows": request.POST.get("skip_bad_rows") == "on"}
        try:
            services.run_start(run=run, actor=request.user, mapping=mapping, options=options,
                               dry_run=request.POST["action"] == "dry_run")
            return redirect("imports:run", run_id=run.pk)
        except ValidationError as exc:
            owner_error = " ".join(exc.errors.get("owner", [])) or exc.message
            status = 422
    mapping = guess_mapping(run.kind, table.header, run.source if run.source in PRESET_NAMES
                            else "template", [f.code for f in fields])
    mapping.update({t: c for t, c in selectors.saved_mapping(source=run.source,
                                                             kind=run.kind).items()
                    if c in table.header})
    mapping.update({t: c for t, c in (run.mapping or {}).items() if c in table.header})
    return render(request, "imports/map.html", {
        "section": "import", "run": run, "header": table.header,
        "preview": [r + [""] * (len(table.header) - len(r)) for r in table.rows],
        "targets": [(t, label, mapping.get(t, "")) for t, label in targets],
        "pipelines": pipelines, "pipeline": pipeline,
        "owners": selectors.import_owners(user=request.user), "owner_error": owner_error,
        "options": run.options or {}}, status=status)


@web_view
def import_run(request: HttpRequest, run_id: int) -> HttpResponse:
    _staff(request)
    run = selectors.run_get(user=request.user, pk=run_id)
    return render(request, "imports/run.html", {"section": "import", "run": run,
                                                "progress": services.progress_read(run.pk),
                                                "result": run.result or {}})


@web_view
def import_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """What the run page polls: the bar while the job runs, the result when it is over."""
    _staff(request)
    run = selectors.run_get(user=request.user, pk=run_id)
    finished = run.status not in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"status": run.status, "progress": services.progress_read(run.pk)})
    return render(request, "imports/_progress.html", {
        "run": run, "progress": services.progress_read(run.pk), "finished": finished,
        "result": run.result or {}})


@web_view
def export_download(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in KINDS:
        raise Http404
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    response = HttpResponse(content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
        else "text/csv; charset=utf-8"))
    response["Content-Disposition"] = f'attachment; filename="voronka-{kind}.{fmt}"'
    export_to(response, kind=kind, fmt=fmt, user=request.user)
    return response
