from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from voronka.analytics import rollups
from voronka.analytics.query import Scope, cells
from voronka.analytics.raw import Dialect, raw_cells
from voronka.pipelines.models import Pipeline

GROUPS = {
    "C": ("furthest_stage_id", "stage_id", "status", "loss_reason_id"),
    "F": ("kind", "stage_id", "loss_reason_id"),
    "D": ("kind", "stage_id", "bucket"),
}


class Command(BaseCommand):
    help = ("Check the report rollups against the same sums computed from the raw tables "
            "(every pipeline, all time, by owner). Exits 1 on any difference.")

    def add_arguments(self, parser):
        parser.add_argument("pipeline", nargs="*", type=int, help="pipeline ids (default: all)")

    def handle(self, *args, **opts):
        rollups.ensure_fresh()
        pipelines = Pipeline.objects.order_by("pk")
        if opts["pipeline"]:
            pipelines = pipelines.filter(pk__in=opts["pipeline"])
        dialect = Dialect(connection.vendor, settings.TIME_ZONE)
        bad = 0
        for pipeline in pipelines:
            scope = Scope(pipeline.pk, None, None)
            for table, group in GROUPS.items():
                got = {tuple(map(str, k)): tuple(v) for k, v in
                       cells(table, scope, None, group, by_owner=True).items()}
                with connection.cursor() as cur:
                    want = {tuple(map(str, k)): tuple(v) for k, v in raw_cells(
                        cur, dialect, table, pipeline.pk, None, group, by_owner=True).items()}
                if got != want:
                    bad += 1
                    diff = sorted(set(got.items()) ^ set(want.items()))[:5]
                    self.stderr.write(f"[{pipeline.pk}] {table}: differs, e.g. {diff}")
            self.stdout.write(f"[{pipeline.pk}] {pipeline.name}: checked")
        if bad:
            raise CommandError(f"{bad} differences; run analytics_rebuild")
        self.stdout.write("rollups = raw")
