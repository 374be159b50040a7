"""``voronka export deals|contacts|companies|transitions [-o FILE] [--format csv|xlsx]``."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from voronka.accounts.models import User
from voronka.imports.exporting import KINDS, export_to


class Command(BaseCommand):
    help = "Export deals, contacts, companies or the transition log to CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("-o", "--output", help="file (default: standard output, CSV)")
        parser.add_argument("--format", choices=["csv", "xlsx"])
        parser.add_argument("--as-user", help="export what this user may see (default: all)")

    def handle(self, *args, **o):
        user = None
        if o["as_user"]:
            user = User.objects.filter(email__iexact=o["as_user"]).first()
            if user is None:
                raise CommandError(f"No user {o['as_user']}")
        fmt = o["format"] or ("xlsx" if (o["output"] or "").endswith(".xlsx") else "csv")
        if o["output"]:
            with open(o["output"], "wb") as out:
                n = export_to(out, kind=o["kind"], fmt=fmt, user=user)
            self.stderr.write(f"{n} rows written to {o['output']}")
        else:
            export_to(sys.stdout.buffer, kind=o["kind"], fmt=fmt, user=user)
