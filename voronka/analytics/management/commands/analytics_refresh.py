from django.core.management.base import BaseCommand

from voronka.analytics import rollups


class Command(BaseCommand):
    help = ("Apply the changes logged since the last refresh to the report rollups (reports "
            "do this themselves; run it from a timer to keep their wait short).")

    def handle(self, *args, **opts):
        self.stdout.write(f"refreshed {rollups.refresh():,} deals")
