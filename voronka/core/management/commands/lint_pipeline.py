from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from voronka.pipelines.lint import pipeline_lint
from voronka.pipelines.models import Pipeline


class Command(BaseCommand):
    help = "Check pipelines against the sales method (4–7 stages, goals, no pockets, exit facts)."

    def add_arguments(self, parser):
        parser.add_argument("pipeline", nargs="*", type=int, help="pipeline ids (default: all)")
        parser.add_argument("--lang", default=None, help="ru or en")
        parser.add_argument("--strict", action="store_true", help="exit 1 if anything is found")

    def handle(self, *args, **opts):
        pipelines = Pipeline.objects.order_by("position", "id")
        if opts["pipeline"]:
            pipelines = pipelines.filter(pk__in=opts["pipeline"])
            if not pipelines.exists():
                raise CommandError("no such pipeline")
        lang = opts["lang"] or translation.get_language() or "en"
        total = 0
        for pipeline in pipelines:
            findings = pipeline_lint(pipeline)
            total += len(findings)
            self.stdout.write(f"[{pipeline.pk}] {pipeline.name}: {len(findings)}")
            for f in findings:
                self.stdout.write(f"  - {f.code}: {f.text(lang)}")
        if opts["strict"] and total:
            raise SystemExit(1)
