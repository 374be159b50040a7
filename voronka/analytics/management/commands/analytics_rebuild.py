import time

from django.core.management.base import BaseCommand, CommandError

from voronka.analytics import rollups
from voronka.pipelines.models import Pipeline


class Command(BaseCommand):
    help = ("Recompute the report rollups from the deals and their transition log (all "
            "pipelines, or the given ids). Reports stay readable meanwhile.")

    def add_arguments(self, parser):
        parser.add_argument("pipeline", nargs="*", type=int, help="pipeline ids (default: all)")

    def handle(self, *args, **opts):
        ids = opts["pipeline"] or None
        if ids and Pipeline.objects.filter(pk__in=ids).count() != len(set(ids)):
            raise CommandError("no such pipeline")
        start = time.perf_counter()

        def progress(n: int) -> None:
            self.stdout.write(f"  {n:,} deals", ending="\r")
            self.stdout.flush()

        total = rollups.rebuild(pipeline_ids=ids, progress=progress)
        self.stdout.write(f"rebuilt the rollups of {total:,} deals in "
                          f"{time.perf_counter() - start:.1f} s")
