"""Text and ids no database can take, through the doors that read the request without a form:
a field error or an ignored filter, never a server error, and nothing written.

PostgreSQL refuses a NUL character in text (a DataError, a 500 if it reaches the database);
SQLite overflows past a 64-bit id; "²".isdigit() is true and int() refuses it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from voronka.accounts.models import ApiToken
from voronka.activities.models import Task
from voronka.activities.services import task_create
from voronka.deals.models import DealFact
from voronka.imports.models import ImportRun

from .conftest import login

pytestmark = pytest.mark.django_db

NUL = "до\x00после"


def test_task_result_with_nul(deal, manager):
    task = task_create(actor=manager, deal=deal, text="Договориться о встрече",
                       due_at=timezone.now() + datetime.timedelta(hours=1))
    client = login(manager)
    r = client.post(reverse("web:task_done", args=[task.pk]), {"result": NUL},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "result" in r["HX-Trigger"]
    r = client.post(reverse("web:task_done", args=[task.pk]), {"result": NUL})
    assert r.status_code == 302
    assert not Task.objects.get(pk=task.pk).is_done


def test_fact_comment_with_nul(deal, stages, manager):
    requirement = stages[1].requirements.get()
    client = login(manager)
    r = client.post(reverse("web:deal_confirm", args=[deal.pk, requirement.pk]),
                    {"comment": NUL}, follow=True)
    assert r.status_code == 200 and "NUL" in r.content.decode()
    assert not DealFact.objects.exists()


def test_token_name_with_nul(manager):
    r = login(manager).post(reverse("api_tokens"), {"name": NUL})
    assert r.status_code == 422 and "NUL" in r.content.decode()
    assert not ApiToken.objects.exists()


def test_import_source_with_nul(head, pipeline, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    upload = tmp_path / "deals.csv"
    upload.write_text("title\nX\n", encoding="utf-8")
    with open(upload, "rb") as f:
        r = login(head).post(reverse("imports:home"), {"kind": "deals", "file": f,
                                                       "source": NUL})
    assert r.status_code == 200 and "NUL" in r.content.decode()
    assert not ImportRun.objects.exists()


BAD_IDS = ["²", "٣", "99999999999999999999", "-1", "1e3"]


@pytest.mark.parametrize("value", BAD_IDS)
def test_filters_that_cannot_be_ids_are_ignored(value, admin, head, pipeline, deal):
    pages = [
        (head, reverse("web:board"), ("owner", "team")),
        (head, reverse("web:deal_list"), ("pipeline", "stage", "reached", "owner", "team")),
        (head, reverse("web:task_list"), ("assignee",)),
        (head, reverse("forecast:prospect"), ("pipeline", "manager")),
        (head, reverse("forecast:model"), ("pipeline",)),
        (admin, "/admin/deals/deal/", ("stage", "pipeline__id__exact")),
    ]
    for user, url, names in pages:
        client = login(user)
        for name in names:
            r = client.get(url, {name: value})
            assert r.status_code in (200, 302, 400), (url, name, value, r.status_code)


@pytest.mark.parametrize("row", ["²", "99999999999999999999"])
def test_rule_editor_rows_that_cannot_be_indexes(row, head, pipeline):
    from voronka.automation.models import Rule

    r = login(head).post(reverse("automation:rule_new", args=[pipeline.pk]), {
        "name": "R", "trigger": "deal_created", f"act-{row}-type": "move_next"})
    assert r.status_code in (200, 422) and not Rule.objects.exists()
