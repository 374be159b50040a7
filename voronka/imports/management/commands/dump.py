"""``voronka dump FILE``: the whole database in one file."""

from django.core.management.base import BaseCommand

from voronka.imports.backup import dump


class Command(BaseCommand):
    help = "Back up the whole database to one file (a zip of JSON per model)."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **o):
        counts = dump(o["file"])
        self.stdout.write(f"{sum(counts.values())} rows of {len(counts)} models → {o['file']}")
