"""``voronka train``: retrain the win-probability model of every active pipeline (or one)."""

from django.core.management.base import BaseCommand, CommandError

from voronka.pipelines.models import Pipeline


class Command(BaseCommand):
    help = "Retrain the win-probability models and show how they did against the baseline."

    def add_arguments(self, parser):
        parser.add_argument("--pipeline", type=int, help="only this pipeline (id)")
        parser.add_argument("--schedule", action="store_true",
                            help="also queue the nightly training and the daily plan check")

    def handle(self, *args, **options):
        from voronka.forecast.learned import train
        from voronka.forecast.tasks import schedule_all

        pipelines = Pipeline.objects.filter(is_active=True).order_by("pk")
        if options["pipeline"]:
            pipelines = pipelines.filter(pk=options["pipeline"])
            if not pipelines.exists():
                raise CommandError(f"pipeline {options['pipeline']}: no such active pipeline")
        for pipeline in pipelines:
            result = train(pipeline)
            if result.model is None:
                self.stdout.write(f"{pipeline.pk} {pipeline.name}: not trained ({result.reason})")
                continue
            m = result.model.metrics
            self.stdout.write(
                f"{pipeline.pk} {pipeline.name}: model Brier {m['model']['brier']} "
                f"AUC {m['model']['auc']} | baseline Brier {m['baseline']['brier']} "
                f"AUC {m['baseline']['auc']} | train {m['train']} test {m['test']} | "
                f"{'in use' if result.model.in_use else 'not in use (baseline kept)'}")
        if options["schedule"]:
            queued = schedule_all()
            self.stdout.write("queued: " + (", ".join(queued) or "nothing (already queued)"))
