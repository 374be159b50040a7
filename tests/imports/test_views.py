"""The import screens: upload → preview and mapping → dry run → run (job) → result; export."""

from __future__ import annotations

import pytest
from django.urls import reverse

from voronka.deals.models import Deal
from voronka.imports.models import ImportRun, SavedMapping

from .conftest import DATA

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_jobs(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_upload_map_dry_run_then_run(client, people, pipeline, tmp_path, settings,
                                     immediate_jobs, django_capture_on_commit_callbacks):
    settings.VAR_DIR = tmp_path
    client.force_login(people["admin"])
    assert client.get(reverse("imports:home")).status_code == 200
    with open(DATA / "amocrm_deals.csv", "rb") as f:
        response = client.post(reverse("imports:home"), {"kind": "deals", "file": f,
                                                         "encoding": "auto"})
    run = ImportRun.objects.get()
    assert response.url == reverse("imports:map", args=[run.pk]) and run.source == "amocrm"
    page = client.get(response.url).content.decode()
    assert "Поставка станков" in page  # the preview
    assert '<option value="Бюджет" selected>' in page  # the preset's mapping
    form = {"action": "dry_run", "pipeline": pipeline.pk, "map_title": "Название сделки",
            "map_budget": "Бюджет", "map_stage": "Этап сделки", "map_owner": "Ответственный",
            "map_created_at": "Дата создания", "map_closed_at": "Дата закрытия",
            "map_loss_reason": "Причина отказа", "map_external_id": "ID"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:map", args=[run.pk]), form)
    run.refresh_from_db()
    assert run.status == "done" and run.result["status"] == "dry_run"
    assert Deal.objects.count() == 0
    assert SavedMapping.objects.get(source="amocrm", kind="deals").mapping["budget"] == "Бюджет"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:map", args=[run.pk]), {**form, "action": "run"})
    run.refresh_from_db()
    assert run.result["status"] == "done" and Deal.objects.count() == 4
    page = client.get(reverse("imports:progress", args=[run.pk])).content.decode()
    assert "4 of 4 rows" in page
    deal = Deal.objects.get(title="Поставка станков")
    assert "facts unverified" in client.get(reverse("web:deal", args=[deal.pk])).content.decode()
    board = client.get(reverse("web:board_pipeline", args=[pipeline.pk])).content.decode()
    assert "facts unverified" in board


def test_rejected_rows_are_listed(client, people, pipeline, tmp_path, settings, immediate_jobs,
                                  django_capture_on_commit_callbacks):
    settings.VAR_DIR = tmp_path
    client.force_login(people["admin"])
    with open(DATA / "bitrix24_deals.csv", "rb") as f:
        client.post(reverse("imports:home"), {"kind": "deals", "file": f})
    run = ImportRun.objects.get()
    form = {"action": "run", "pipeline": pipeline.pk, "map_title": "Название сделки",
            "map_stage": "Стадия сделки", "map_budget": "Сумма", "map_closed_at": "Дата закрытия"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:map", args=[run.pk]), form)
    run.refresh_from_db()
    assert run.status == "rejected" and Deal.objects.count() == 0
    page = client.get(reverse("imports:progress", args=[run.pk])).content.decode()
    assert "A lost deal needs a loss reason." in page


def test_managers_see_no_import_and_export_only_their_own(client, people, manager):
    client.force_login(manager)
    assert client.get(reverse("imports:home")).status_code == 404
    response = client.get(reverse("imports:export", args=["deals"]) + "?format=xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    csv = client.get(reverse("imports:export", args=["contacts"])).content.decode("utf-8-sig")
    assert csv.startswith("id,full_name")


def test_a_queued_run_shows_no_raw_phase_name(client, people, pipeline, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    client.force_login(people["admin"])
    client.post(reverse("web:language"), {"language": "ru", "next": "/"})
    with open(DATA / "bitrix24_deals.csv", "rb") as f:
        client.post(reverse("imports:home"), {"kind": "deals", "file": f})
    run = ImportRun.objects.get()
    client.post(reverse("imports:map", args=[run.pk]), {  # the job is queued, not run
        "action": "run", "pipeline": pipeline.pk, "map_title": "Название сделки"})
    run.refresh_from_db()
    assert run.status == "queued"
    page = client.get(reverse("imports:progress", args=[run.pk])).content.decode()
    assert "В очереди" in page and "queued" not in page


@pytest.mark.parametrize("who", ["other_manager", "marketer", "inactive", "garbage"])
def test_a_head_cannot_give_imported_rows_to_someone_outside_the_team(
        who, client, head, manager, other_manager, marketer, pipeline, tmp_path, settings,
        immediate_jobs, django_capture_on_commit_callbacks):
    """The owner menu offers the head's team; a forged owner is a field error, nothing runs."""
    settings.VAR_DIR = tmp_path
    manager.is_active = False
    manager.save()
    owner = {"other_manager": other_manager.pk, "marketer": marketer.pk,
             "inactive": manager.pk, "garbage": "²"}[who]
    client.force_login(head)
    upload = tmp_path / "deals.csv"
    upload.write_text("title,budget\nImported deal,100\n", encoding="utf-8")
    with open(upload, "rb") as f:
        client.post(reverse("imports:home"), {"kind": "deals", "file": f})
    run = ImportRun.objects.get()
    page = client.get(reverse("imports:map", args=[run.pk])).content.decode()
    assert f'value="{other_manager.pk}"' not in page and f'value="{marketer.pk}"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:map", args=[run.pk]), {
            "action": "run", "pipeline": pipeline.pk, "map_title": "title",
            "map_budget": "budget", "owner": owner})
    assert response.status_code == 422
    assert "Choose the owner from the list" in response.content.decode()
    run.refresh_from_db()
    assert run.status != "done" and Deal.objects.count() == 0


def test_the_import_job_refuses_an_owner_outside_the_team(head, other_manager, pipeline,
                                                          tmp_path):
    """The same rule where the job runs (a run queued before, or the command line)."""
    from voronka.imports.services import import_file

    upload = tmp_path / "deals.csv"
    upload.write_text("title\nImported deal\n", encoding="utf-8")
    from voronka.imports.reading import ImportFileError

    with pytest.raises(ImportFileError) as caught:
        import_file(actor=head, kind="deals", path=upload, mapping={"title": "title"},
                    pipeline=pipeline, default_owner=other_manager)
    assert caught.value.code == "owner" and Deal.objects.count() == 0


def test_the_import_page_offers_the_template_and_names_what_it_exports(client, head, manager):
    client.force_login(head)
    page = client.get(reverse("imports:home")).content.decode()
    assert f'href="{reverse("imports:template")}"' in page
    assert "Stage history (every move): <a" in page and "transitions:" not in page
    assert page.count('value="cp1251"') == 0  # one name per encoding
    response = client.get(reverse("imports:template"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8").startswith("id,title,pipeline,stage,status,owner")
    client.force_login(manager)
    assert client.get(reverse("imports:template")).status_code == 404
