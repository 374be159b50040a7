"""``voronka import deals|contacts|companies FILE`` — the same service as the UI."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from voronka.accounts.models import User
from voronka.imports.mapping import PRESETS, detect_preset, guess_mapping
from voronka.imports.models import Kind, SavedMapping
from voronka.imports.reading import ImportFileError, read_table
from voronka.imports.services import import_file, mapping_save
from voronka.pipelines.models import Pipeline


class Command(BaseCommand):
    help = "Import deals, contacts or companies from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[k.value for k in Kind])
        parser.add_argument("file")
        parser.add_argument("--preset", choices=[*PRESETS, "auto"], default="auto",
                            help="column names of amocrm, bitrix24 or our template")
        parser.add_argument("--mapping", help='JSON {"field": "column"} over the preset')
        parser.add_argument("--source", default="", help="the source name (mapping and IDs "
                                                         "are remembered per source)")
        parser.add_argument("--pipeline", help="pipeline name for rows without one")
        parser.add_argument("--owner", help="owner e-mail for rows without one")
        parser.add_argument("--as-user", help="import as this user's e-mail (default: system)")
        parser.add_argument("--history", help="stage history file (deals)")
        parser.add_argument("--encoding", default="auto")
        parser.add_argument("--skip-bad-rows", action="store_true")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **o):
        def user(email):
            found = User.objects.filter(email__iexact=email).first() if email else None
            if email and found is None:
                raise CommandError(f"No user {email}")
            return found

        actor, owner = user(o["as_user"]), user(o["owner"])
        pipeline = None
        if o["pipeline"]:
            pipeline = Pipeline.objects.filter(name=o["pipeline"]).first()
            if pipeline is None:
                raise CommandError(f"No pipeline {o['pipeline']}")
        try:
            header = read_table(o["file"], encoding=o["encoding"], limit=1).header
            preset = detect_preset(header) if o["preset"] == "auto" else o["preset"]
            source = o["source"] or preset
            codes = list(pipeline.custom_fields.values_list("code", flat=True)) \
                if pipeline else []
            mapping = guess_mapping(o["kind"], header, preset, codes)
            saved = SavedMapping.objects.filter(source=source, kind=o["kind"]).first()
            if saved and not o["mapping"]:
                mapping.update(saved.mapping)
            if o["mapping"]:
                mapping.update(json.loads(o["mapping"]))
                mapping_save(source=source, kind=o["kind"], mapping=mapping)
            result = import_file(actor=actor, kind=o["kind"], path=o["file"], mapping=mapping,
                                 source=source, encoding=o["encoding"], pipeline=pipeline,
                                 default_owner=owner, history_path=o["history"],
                                 skip_bad_rows=o["skip_bad_rows"], dry_run=o["dry_run"])
        except ImportFileError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if o["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=1, default=str))
        else:
            for err in result["rejected"]:
                self.stdout.write(f"row {err['row']}, {err['column']}: {err['reason']}")
            self.stdout.write(f"{result['status']}: {result['imported']} of {result['rows']} "
                              f"rows imported, {result['rejected_rows']} rejected")
        if result["status"] == "rejected":
            raise CommandError("nothing imported")
