"""Import: the amoCRM/Bitrix24 presets, named errors, all-or-nothing, dedupe, history."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from voronka.core.errors import GateRefused
from voronka.crm.models import Company, Contact, ContactPhone
from voronka.deals.models import Deal, Transition
from voronka.deals.services import deal_move
from voronka.imports.mapping import detect_preset, guess_mapping
from voronka.imports.reading import ImportFileError, read_table
from voronka.imports.services import import_file

from .conftest import DATA

pytestmark = pytest.mark.django_db(transaction=False)


def run(kind, path, preset, actor, **kw):
    header = read_table(path).header
    mapping = guess_mapping(kind, header, preset)
    return import_file(actor=actor, kind=kind, path=path, mapping=mapping, source=preset, **kw)


def test_presets_are_detected():
    assert detect_preset(read_table(DATA / "amocrm_deals.csv").header) == "amocrm"
    assert detect_preset(read_table(DATA / "bitrix24_deals.csv").header) == "bitrix24"


def test_amocrm_deals_import(people, pipeline, stages):
    result = run("deals", DATA / "amocrm_deals.csv", "amocrm", people["admin"])
    assert result["status"] == "done", result["rejected"]
    assert result["imported"] == 4 and result["rejected"] == []
    deals = {d.title: d for d in Deal.objects.all()}
    d = deals["Поставка станков"]
    assert d.stage == stages[1] and d.status == "open" and d.budget == Decimal("150000.00")
    assert d.owner == people["ivan"] and d.company.name == "ООО Ромашка"
    assert d.utm_source == "yandex" and d.created_at.date() == datetime.date(2025, 2, 3)
    assert d.facts_unverified  # stage 1's meeting was never shown
    assert list(d.transitions.values_list("kind", flat=True)) == ["imported"]
    won = deals["Сервисный договор"]
    assert won.status == "won" and won.stage == stages[-1] and won.closed_at is not None
    assert list(won.transitions.values_list("kind", flat=True)) == ["imported", "won"]
    lost = deals["Пилотный проект"]
    assert lost.status == "lost" and lost.loss_reason.name == "Дорого"
    assert lost.stage == stages[0]  # the export does not say where it was lost: nothing claimed
    new = deals["Новая заявка"]
    assert new.stage == stages[0] and not new.facts_unverified
    # One person behind two phone formats: one contact.
    assert Contact.objects.filter(full_name="Анна Смирнова").count() == 1
    assert ContactPhone.objects.filter(number="+79161234567").count() == 1
    assert Company.objects.filter(name="ООО Ромашка").count() == 1
    # Later moves still need the facts.
    with pytest.raises(GateRefused):
        deal_move(deal=d, to_stage=stages[2], actor=people["admin"])


def test_bitrix24_deals_with_history(people, pipeline, stages):
    result = run("deals", DATA / "bitrix24_deals.csv", "bitrix24", people["admin"],
                 history_path=DATA / "bitrix24_history.csv", skip_bad_rows=True)
    assert result["status"] == "done" and result["imported"] == 1
    assert [(e["row"], e["column"]) for e in result["rejected"]] == [(3, "loss_reason")]
    d = Deal.objects.get(title="Внедрение CRM")
    assert d.budget == Decimal("320000.50") and d.source == "Звонок"
    assert d.stage == stages[2] and d.furthest_stage == stages[2]
    assert d.stage_entered_at == d.transitions.last().at
    kinds = list(d.transitions.values_list("kind", "to_stage__name"))
    assert kinds == [("imported", stages[0].name), ("imported", stages[1].name),
                     ("imported", stages[2].name)]
    assert not Deal.objects.filter(title="Обучение").exists()
    assert Contact.objects.filter(full_name="Олег Орлов").count() == 1


def test_lost_without_reason_is_rejected_by_name(people, pipeline):
    result = run("deals", DATA / "bitrix24_deals.csv", "bitrix24", people["admin"])
    assert result["status"] == "rejected"
    assert result["rejected"] == [
        {"row": 3, "column": "loss_reason", "reason": "A lost deal needs a loss reason."}]
    assert Deal.objects.count() == 0 and Contact.objects.count() == 0


def test_contacts_and_companies(people, pipeline):
    r1 = run("companies", DATA / "bitrix24_companies.csv", "bitrix24", people["admin"])
    assert r1["status"] == "done" and r1["companies_created"] == 2
    r2 = run("contacts", DATA / "amocrm_contacts.csv", "amocrm", people["admin"])
    assert r2["status"] == "done" and r2["contacts_created"] == 2
    anna = Contact.objects.get(full_name="Смирнова Анна")
    assert anna.company.inn == "7707083893" and anna.owner == people["ivan"]
    assert Company.objects.count() == 2  # matched by name, not doubled
    # The same file again: its IDs were imported from this source already.
    again = run("contacts", DATA / "amocrm_contacts.csv", "amocrm", people["admin"])
    assert again["status"] == "rejected" and len(again["rejected"]) == 2
    assert Contact.objects.count() == 2


def write(tmp_path, text, name="f.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


HEAD = "id,title,pipeline,stage,status,owner,budget,created_at,closed_at,loss_reason\n"


@pytest.mark.parametrize(("line", "column", "words"), [
    ("1,A,B2B,Нет такого,open,ivan@example.com,10,2025-01-01,,", "stage", "No stage"),
    ("1,A,B2B,,open,ivan@example.com,десять,2025-01-01,,", "budget", "amount"),
    ("1,A,B2B,,open,ivan@example.com,10,31.31.2025,,", "created_at", "not a date"),
    ("1,A,B2B,,open,nobody@example.com,10,2025-01-01,,", "owner", "No user"),
    ("1,A,Нет,,open,ivan@example.com,10,2025-01-01,,", "pipeline", "No pipeline"),
    ("1,A,B2B,,lost,ivan@example.com,10,2025-01-01,2025-01-02,Комета", "loss_reason",
     "No loss reason"),
    ("1,A,B2B,,won,ivan@example.com,10,2025-01-01,,", "closed_at", "closed"),
    ("1,A,B2B,,maybe,ivan@example.com,10,2025-01-01,,", "status", "not a status"),
])
def test_bad_values_are_named_and_nothing_is_written(tmp_path, people, line, column, words):
    path = write(tmp_path, HEAD + "2,Fine,B2B,,open,ivan@example.com,5,2025-01-01,,\n" + line)
    result = run("deals", path, "template", people["admin"])
    assert result["status"] == "rejected"
    assert [(e["row"], e["column"]) for e in result["rejected"]] == [(3, column)]
    assert words in result["rejected"][0]["reason"]
    assert Deal.objects.count() == 0 and Transition.objects.count() == 0


def test_skip_bad_rows_imports_the_rest(tmp_path, people):
    path = write(tmp_path, HEAD + "1,A,B2B,,open,ivan@example.com,5,2025-01-01,,\n"
                 "2,B,B2B,Нет такого,open,ivan@example.com,5,2025-01-01,,\n")
    result = run("deals", path, "template", people["admin"], skip_bad_rows=True)
    assert result["status"] == "done" and result["imported"] == 1
    assert result["rejected"][0]["row"] == 3
    assert list(Deal.objects.values_list("title", flat=True)) == ["A"]


def test_duplicate_ids(tmp_path, people):
    path = write(tmp_path, HEAD + "7,A,B2B,,open,ivan@example.com,5,2025-01-01,,\n"
                 "7,B,B2B,,open,ivan@example.com,5,2025-01-01,,\n")
    result = run("deals", path, "template", people["admin"])
    assert result["rejected"] == [{"row": 3, "column": "id",
                                   "reason": "Duplicate ID “7” (also on row 2)."}]
    assert Deal.objects.count() == 0


def test_dry_run_writes_nothing_and_counts_exactly(people):
    result = run("deals", DATA / "amocrm_deals.csv", "amocrm", people["admin"], dry_run=True)
    assert result["status"] == "dry_run" and result["created"] == 4
    assert result["contacts_created"] == 2 and result["contacts_matched"] == 1
    assert Deal.objects.count() == 0 and Contact.objects.count() == 0


def test_file_errors_are_named(tmp_path, people, settings):
    cp1251 = write(tmp_path, HEAD + "1,Сделка,B2B,,open,ivan@example.com,5,2025-01-01,,\n",
                   encoding="cp1251")
    with pytest.raises(ImportFileError) as exc:
        run("deals", cp1251, "template", people["admin"])
    assert exc.value.code == "encoding"
    # …and it reads with the encoding named.
    ok = import_file(actor=people["admin"], kind="deals", path=cp1251, encoding="windows-1251",
                     mapping=guess_mapping("deals", read_table(cp1251, encoding="cp1251").header))
    assert ok["status"] == "done" and Deal.objects.get().title == "Сделка"
    missing = write(tmp_path, "id,budget\n1,5\n")
    with pytest.raises(ImportFileError) as exc:
        run("deals", missing, "template", people["admin"])
    assert exc.value.code == "missing_columns"
    with pytest.raises(ImportFileError) as exc:
        import_file(actor=people["admin"], kind="deals", path=missing,
                    mapping={"title": "Название"})
    assert exc.value.code == "missing_columns"
    assert write(tmp_path, "").exists()
    with pytest.raises(ImportFileError) as exc:
        run("deals", write(tmp_path, "", name="e.csv"), "template", people["admin"])
    assert exc.value.code == "empty"
    with pytest.raises(ImportFileError) as exc:
        run("deals", write(tmp_path, "x", name="e.pdf"), "template", people["admin"])
    assert exc.value.code == "format"
    with pytest.raises(ImportFileError) as exc:
        run("deals", write(tmp_path, "junk", name="e.xlsx"), "template", people["admin"])
    assert exc.value.code == "format"


def test_a_50_mb_file_is_refused(tmp_path, people):
    path = tmp_path / "big.csv"
    row = "1,Сделка с длинным названием для объёма,B2B,,open,ivan@example.com,5,2025-01-01,,\n"
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEAD)
        out.write(row * (50 * 1024 * 1024 // len(row.encode()) + 1))
    assert path.stat().st_size >= 50 * 1024 * 1024
    with pytest.raises(ImportFileError) as exc:
        run("deals", path, "template", people["admin"])
    assert exc.value.code == "too_large"
    assert Deal.objects.count() == 0


def test_interrupted_import_leaves_nothing(tmp_path, people, monkeypatch):
    from voronka.imports import writer

    lines = "".join(f"{i},D{i},B2B,,open,ivan@example.com,5,2025-01-01,,\n"
                    f"" for i in range(1, 31))
    path = write(tmp_path, HEAD + lines)
    monkeypatch.setattr(writer, "BATCH", 10)
    from voronka.imports import services

    monkeypatch.setattr(services, "BATCH", 10)
    calls = {"n": 0}
    real = writer.Writer.write_deals

    def boom(self, records):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real(self, records)

    monkeypatch.setattr(writer.Writer, "write_deals", boom)
    with pytest.raises(RuntimeError):
        run("deals", path, "template", people["admin"])
    assert calls["n"] == 2
    assert Deal.objects.count() == 0 and Transition.objects.count() == 0
    assert Contact.objects.count() == 0


def test_managers_may_not_import(tmp_path, people, manager):
    from voronka.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        run("deals", DATA / "amocrm_deals.csv", "amocrm", manager)
