"""The import job: the UI queues it, ``voronka worker`` runs it."""

from __future__ import annotations

from django_tasks import task


@task()
def import_job(run_id: int) -> dict:
    from .services import run_execute

    return run_execute(run_id)
