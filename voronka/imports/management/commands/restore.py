"""``voronka restore FILE``: load a dump into an empty, migrated database."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from voronka.imports.backup import RestoreError, restore


class Command(BaseCommand):
    help = "Restore a dump made by `voronka dump` into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **o):
        call_command("migrate", interactive=False, verbosity=0)
        try:
            counts = restore(o["file"])
        except RestoreError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{sum(counts.values())} rows of {len(counts)} models restored")
