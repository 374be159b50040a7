"""The ``voronka`` command: serve, worker, demo, lint-pipeline, and Django's own commands."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
    import django

    django.setup()


def _serve(args: argparse.Namespace) -> int:
    """gunicorn for the web, plus one job worker beside it unless --no-worker."""
    _django()
    from django.core.management import call_command

    if not args.no_migrate:
        call_command("migrate", interactive=False, verbosity=0)
    children: list[subprocess.Popen] = []
    if not args.no_worker:
        children.append(subprocess.Popen([sys.executable, "-m", "voronka.cli", "worker"]))
    web = subprocess.Popen([
        sys.executable, "-m", "gunicorn", "voronka.wsgi:application", "--bind", args.bind,
        "--workers", str(args.workers), "--access-logfile", "-", "--timeout", "60",
    ])
    children.append(web)

    def stop(signum, _frame):
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = web.wait()
    stop(signal.SIGTERM, None)
    for child in children:
        child.wait(timeout=30)
    return code


def _worker(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import call_command

    from voronka.forecast.tasks import schedule_all

    # The daily plan-at-risk check and the nightly retraining re-queue themselves; a starting
    # worker makes sure each chain exists (it queues nothing when one is already waiting).
    schedule_all()
    # django-tasks-db's worker plus a lease: jobs left RUNNING by a dead worker are re-queued.
    call_command("jobs_worker", queue_name="*", interval=args.interval)
    return 0


def _manage(argv: list[str]) -> int:
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["voronka manage", *argv])
    return 0


def _command(name: str, argv: list[str]) -> int:
    return _manage([name, *argv])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="voronka", description="Voronka sales-funnel CRM")
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="run the web server (gunicorn) and a job worker")
    serve.add_argument("--bind", default=os.environ.get("VORONKA_BIND", "127.0.0.1:8000"))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 2)))
    serve.add_argument("--no-worker", action="store_true", help="do not start a job worker")
    serve.add_argument("--no-migrate", action="store_true", help="skip migrations on start")
    worker = sub.add_parser("worker", help="run a job worker alone")
    worker.add_argument("--interval", type=float, default=1.0)
    sub.add_parser("demo", help="load the demo data set (see --help)", add_help=False)
    sub.add_parser("lint-pipeline", help="check funnels against the method", add_help=False)
    sub.add_parser("manage", help="any Django management command", add_help=False)
    sub.add_parser("token", help="create, list or revoke API tokens", add_help=False)
    sub.add_parser("import", help="import deals, contacts or companies (CSV/XLSX)",
                   add_help=False)
    sub.add_parser("export", help="export deals, contacts, companies, transitions",
                   add_help=False)
    sub.add_parser("dump", help="back up the whole database to one file", add_help=False)
    sub.add_parser("restore", help="restore a dump into an empty database", add_help=False)
    sub.add_parser("train", help="retrain the win-probability models", add_help=False)

    if argv and argv[0] in {"demo", "lint-pipeline", "manage", "token", "import", "export",
                            "dump", "restore", "train"}:
        name, rest = argv[0], argv[1:]
        if name == "manage":
            return _manage(rest)
        return _command(name.replace("-", "_"), rest)
    args = parser.parse_args(argv)
    return {"serve": _serve, "worker": _worker}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
