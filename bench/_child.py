"""One benchmark process per database (Django's settings are per process), watched.

The parent re-runs the same script with ``--db <name>``, echoes its output, and picks the
``BENCH {...}`` line; a child that outlives its time budget plus ``grace`` seconds is
terminated (SIGTERM lets it drop its database on the way out).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_child(script: str, db: str, args: argparse.Namespace, *, grace: float) -> dict | None:
    """Run ``script`` for ``db`` with the moves-style flags of ``args``; its BENCH result."""
    cmd = [sys.executable, str(Path(script).resolve()), "--db", db, "--deals", str(args.deals),
           "--moves", str(args.moves), "--rounds", str(args.rounds),
           "--max-seconds", str(args.max_seconds), "--pg-url", args.pg_url]
    if args.profile:
        cmd.append("--profile")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    watchdog = threading.Timer(args.max_seconds + grace, proc.terminate)
    watchdog.start()
    result = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            if line.startswith("BENCH "):
                result = json.loads(line[6:])
        proc.wait()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    if proc.returncode != 0:
        print(f"[{db}] failed (exit {proc.returncode})", flush=True)
        return None
    return result


def _terminate(signum, frame):  # noqa: ARG001
    raise SystemExit(128 + signum)


def clean_up_on_sigterm() -> None:
    """In a child: SIGTERM raises SystemExit, so the finally blocks drop the database."""
    signal.signal(signal.SIGTERM, _terminate)
