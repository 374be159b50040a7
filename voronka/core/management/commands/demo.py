import datetime

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from voronka.demo import people
from voronka.demo.build import (
    DEFAULT_DEALS,
    DEFAULT_SEED,
    DemoState,
    build,
    demo_logins,
    demo_state,
)


def _moment(value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("--as-of: enter a date and time as YYYY-MM-DDTHH:MM.")) from exc
    if moment.tzinfo is None:
        from django.utils import timezone

        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = _("Load the demo data set (three funnels, users of every role, a year of deals) "
             "and print the logins. Does nothing but print the logins if it is loaded.")

    def add_arguments(self, parser):
        parser.add_argument("--deals", type=int, default=DEFAULT_DEALS,
                            help=_("number of deals (default %(default)s)"))
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                            help=_("random seed: the same seed builds the same data"))
        parser.add_argument("--reset", action="store_true",
                            help=_("wipe ALL data in the database first, then build"))
        parser.add_argument("--as-of", type=_moment, default=None,
                            help=_("build the history as of this moment (default: now)"))

    def handle(self, *args, **opts):
        if opts["deals"] < 1 or opts["deals"] > 100_000:
            raise CommandError(_("--deals: enter a number from 1 to 100000."))
        if opts["reset"]:
            call_command("flush", interactive=False, verbosity=0)
        state = demo_state()
        if state == DemoState.PARTIAL:
            raise CommandError(_("An earlier demo build did not finish. Run `voronka demo "
                                 "--reset` to wipe the database and build it again."))
        if state == DemoState.FOREIGN:
            raise CommandError(_("The database already holds data, and the demo is loaded "
                                 "only into an empty one. `voronka demo --reset` wipes "
                                 "everything first."))
        if state == DemoState.COMPLETE:
            self.stdout.write(_("The demo data set is already loaded."))
        else:
            self.stdout.write(_("Building the demo data set: %(n)d deals…") % {"n": opts["deals"]})

            def progress(done: int, total: int) -> None:
                if opts["verbosity"] >= 1:
                    self.stdout.write(f"  {done}/{total}")

            report = build(seed=opts["seed"], deals=opts["deals"], as_of=opts["as_of"],
                           progress=progress)
            self.stdout.write(_("Built in %(s).1f s: %(counts)s") % {
                "s": report.seconds,
                "counts": ", ".join(f"{k} {v}" for k, v in report.counts.items())})
        self._logins()

    def _logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(_("Demo logins (password for all: %(password)s)")
                          % {"password": people.DEMO_PASSWORD})
        for login in demo_logins():
            team = f" — {login.team}" if login.team else ""
            self.stdout.write(f"  {login.email:<28} {login.role}: {login.full_name}{team}")
