"""``voronka token create|list|revoke``: personal API tokens from the command line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from voronka.accounts.models import ApiToken, User
from voronka.accounts.services import api_token_create, api_token_revoke
from voronka.core.errors import ServiceError


class Command(BaseCommand):
    help = "Create, list or revoke personal API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a token; the secret is printed once")
        create.add_argument("--user", required=True, help="the user's e-mail")
        create.add_argument("--name", default="cli", help="what the token is for")
        listing = sub.add_parser("list", help="list tokens (never their secrets)")
        listing.add_argument("--user", help="only this user's tokens (e-mail)")
        revoke = sub.add_parser("revoke", help="revoke a token by id or prefix")
        revoke.add_argument("token", help="the id or the prefix shown by `list`")

    def _user(self, email: str) -> User:
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is None:
            raise CommandError(f"No user with e-mail {email}.")
        return user

    def handle(self, *args, action: str, **options):
        try:
            if action == "create":
                token, raw = api_token_create(user=self._user(options["user"]),
                                              name=options["name"], actor=None)
                self.stdout.write(raw)
                self.stderr.write(f"token #{token.pk} for {token.user.email}; "
                                  "keep it secret, it is not shown again")
            elif action == "list":
                qs = ApiToken.objects.select_related("user")
                if options.get("user"):
                    qs = qs.filter(user=self._user(options["user"]))
                for t in qs:
                    state = "revoked" if t.revoked_at else "active"
                    used = t.last_used_at.isoformat() if t.last_used_at else "never"
                    self.stdout.write(f"{t.pk}\t{t.prefix}…\t{t.user.email}\t{t.name}\t"
                                      f"{state}\tlast used {used}")
            else:
                ref = options["token"]
                qs = ApiToken.objects.all()
                found = (qs.filter(pk=int(ref)) if ref.isdigit()
                         else qs.filter(prefix=ref.rstrip("…")))
                if found.count() != 1:
                    raise CommandError(f"No single token matches {ref!r}.")
                token = api_token_revoke(token=found.get(), actor=None)
                self.stdout.write(f"revoked token #{token.pk} ({token.prefix}…)")
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
