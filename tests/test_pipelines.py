"""Pipelines, stages, requirements, loss reasons (services) and the funnel linter (unit tests;
the demo funnels are linted in their own test)."""

from __future__ import annotations

import pytest

from voronka.core.errors import PermissionDenied, ValidationError
from voronka.deals.models import Deal
from voronka.deals.services import deal_correct, deal_move
from voronka.pipelines.lint import Finding, lint_stages, pipeline_lint
from voronka.pipelines.models import LossReason, Pipeline, Stage, StageRequirement
from voronka.pipelines.services import (
    custom_field_create,
    custom_field_update,
    loss_reason_create,
    loss_reason_update,
    pipeline_create,
    pipeline_update,
    requirement_create,
    requirement_delete,
    stage_create,
    stage_delete,
    stage_reorder,
    stage_update,
)

from .factories import make_deal, make_pipeline, plain_pipeline

# --- the linter -----------------------------------------------------------------------------

PROCESS_NAMES = ["Договариваюсь о встрече", "Согласовываю ТЗ", "Провожу переговоры",
                 "Подписываю договор", "Получаю оплату", "Передаю в работу", "Выставляю счёт"]


def stages_named(names):
    return [Stage(pk=i + 1, name=name, goal=f"Факт {i + 1}", position=i)
            for i, name in enumerate(names)]


def lint(names, *, without_requirement=(), budget=True) -> list[Finding]:
    stages = stages_named(names)
    counts = {s.pk: 0 if s.name in without_requirement else 1 for s in stages}
    return lint_stages(stages, counts, budget)


def codes(findings):
    return [(f.code, f.stage_id) for f in findings]


@pytest.mark.parametrize("n", [4, 5, 6, 7])
def test_four_to_seven_process_stages_with_facts_are_clean(n):
    assert lint(PROCESS_NAMES[:n]) == []


@pytest.mark.parametrize(("n", "code"), [(1, "too_few_stages"), (3, "too_few_stages"),
                                         (8, "too_many_stages"), (11, "too_many_stages")])
def test_stage_count_outside_four_to_seven(n, code):
    names = [f"Выполняю шаг {i}" for i in range(n)]
    findings = lint(names)
    assert codes(findings) == [(code, None)]
    assert str(n) in findings[0].message["en"] and str(n) in findings[0].message["ru"]


def test_an_empty_pipeline_is_too_short_and_nothing_else():
    assert codes(lint_stages([], {}, False)) == [("too_few_stages", None)]


@pytest.mark.parametrize("name", ["Думают", "Неразобранные", "Ждут своего часа",
                                  "Клиент думает", "Отложенные", "Пока не нужно", "  ДУМАЮТ  ",
                                  "On hold", "Backlog"])
def test_pocket_stages_are_flagged(name):
    names = PROCESS_NAMES[:4] + [name]
    findings = lint(names)
    assert codes(findings) == [("pocket_stage", 5)]
    assert name.strip() in findings[0].message["en"]
    assert "pocket" in findings[0].message["en"]


@pytest.mark.parametrize("name", ["Переговоры", "Переговоры с ЛПР", "Уточнение информации",
                                  "Обсуждение",
                                  "Горячие", "Negotiations", "In progress"])
def test_status_stages_are_flagged(name):
    findings = lint([name] + PROCESS_NAMES[1:5])
    assert codes(findings) == [("status_stage", 1)]
    assert "status" in findings[0].message["en"]


def test_a_stage_without_an_exit_requirement_is_flagged():
    findings = lint(PROCESS_NAMES[:5], without_requirement={PROCESS_NAMES[1], PROCESS_NAMES[4]})
    assert codes(findings) == [("no_exit_requirement", 2), ("no_exit_requirement", 5)]
    assert "no exit requirement" in findings[0].message["en"]


def test_the_first_stage_must_require_the_budget():
    findings = lint(PROCESS_NAMES[:5], budget=False)
    assert codes(findings) == [("budget_not_from_first_stage", 1)]
    assert "budget" in findings[0].message["en"]


def test_a_bad_funnel_gets_every_finding_in_both_languages():
    names = ["Неразобранные", "Переговоры", "Уточнение информации", "Думают",
             "Ждут своего часа", "Согласовываю ТЗ", "Подписываю договор", "Получаю оплату"]
    findings = lint(names, without_requirement={"Неразобранные", "Думают"}, budget=False)
    assert codes(findings) == [
        ("too_many_stages", None), ("pocket_stage", 1), ("no_exit_requirement", 1),
        ("status_stage", 2), ("status_stage", 3), ("pocket_stage", 4),
        ("no_exit_requirement", 4), ("pocket_stage", 5), ("budget_not_from_first_stage", 1)]
    for finding in findings:
        assert set(finding.message) == {"ru", "en"} and all(finding.message.values())
        assert finding.text("en") == finding.message["en"]
        assert finding.text("ru-RU") == finding.message["ru"]


def test_pipeline_lint_reads_the_stored_funnel(team):
    pipeline = make_pipeline(team)  # Dubrovin's five stages, each with its fact
    assert pipeline_lint(pipeline) == []
    first = pipeline.stages.order_by("position").first()
    StageRequirement.objects.filter(stage=first, field_name="budget").delete()
    extra = stage_create(actor=None, pipeline=pipeline, name="Думают")
    assert codes(pipeline_lint(pipeline)) == [
        ("pocket_stage", extra.pk), ("no_goal", extra.pk), ("no_exit_requirement", extra.pk),
        ("budget_not_from_first_stage", first.pk)]
    plain = plain_pipeline(team, 3)
    assert {c for c, _ in codes(pipeline_lint(plain))} == {
        "too_few_stages", "not_a_process", "no_exit_requirement", "budget_not_from_first_stage"}


# --- pipelines ------------------------------------------------------------------------------

def test_who_may_create_a_pipeline(team, other_team, head, manager, marketer, other_head, admin):
    for actor in (manager, marketer, other_head):
        with pytest.raises(PermissionDenied):
            pipeline_create(actor=actor, team=team, name="Продажи")
    assert not Pipeline.objects.exists()
    pipeline = pipeline_create(actor=head, team=team, name="  Продажи  ",
                               stages=[{"name": "Договариваюсь о встрече"}],
                               loss_reasons=["Дорого"])
    assert pipeline.name == "Продажи" and pipeline.stages.count() == 1
    assert list(pipeline.loss_reasons.values_list("name", flat=True)) == ["Дорого"]
    with pytest.raises(ValidationError) as exc:
        pipeline_create(actor=admin, team=team, name="Продажи")
    assert "name" in exc.value.errors
    with pytest.raises(ValidationError) as exc:
        pipeline_create(actor=admin, team=team, name=" ")
    assert "name" in exc.value.errors
    assert pipeline_create(actor=admin, team=other_team, name="Продажи").team == other_team


def test_a_bad_stage_spec_creates_no_pipeline(team):
    with pytest.raises(ValidationError) as exc:
        pipeline_create(actor=None, team=team, name="Сломанная", stages=[
            {"name": "Первый"}, {"name": "Второй", "probability": 150}])
    assert "stages.1.probability" in exc.value.errors
    assert not Pipeline.objects.filter(name="Сломанная").exists()
    assert not Stage.objects.exists()


def test_only_the_teams_head_or_an_admin_changes_a_pipeline(pipeline, stages, manager,
                                                            other_head, head, admin):
    attempts = (
        lambda a: stage_create(actor=a, pipeline=pipeline, name="Новый"),
        lambda a: stage_update(actor=a, stage=stages[0], name="Иначе"),
        lambda a: stage_reorder(actor=a, pipeline=pipeline,
                                stage_ids=[s.pk for s in reversed(stages)]),
        lambda a: stage_delete(actor=a, stage=stages[-1]),
        lambda a: requirement_create(actor=a, stage=stages[1], kind="contact_attached"),
        lambda a: requirement_delete(actor=a, requirement=stages[0].requirements.first()),
        lambda a: loss_reason_create(actor=a, pipeline=pipeline, name="Нет денег"),
    )
    for actor in (manager, other_head):
        for attempt in attempts:
            with pytest.raises(PermissionDenied):
                attempt(actor)
    assert [s.name for s in pipeline.stages.order_by("position")] == [s.name for s in stages]
    stage_update(actor=head, stage=stages[0], goal="Встреча назначена")
    loss_reason_create(actor=admin, pipeline=pipeline, name="Нет денег")


def test_stages_are_inserted_reordered_and_renumbered(team):
    pipeline = plain_pipeline(team, 3)
    s1, s2, s3 = pipeline.stages.order_by("position")
    new = stage_create(actor=None, pipeline=pipeline, name="Квалифицирую", position=1)
    order = list(pipeline.stages.order_by("position").values_list("pk", "position"))
    assert order == [(s1.pk, 0), (new.pk, 1), (s2.pk, 2), (s3.pk, 3)]
    tail = stage_create(actor=None, pipeline=pipeline, name="Хвост", position=99)
    assert tail.position == 4
    stage_reorder(actor=None, pipeline=pipeline, stage_ids=[s3.pk, s2.pk, new.pk, s1.pk, tail.pk])
    assert list(pipeline.stages.order_by("position").values_list("pk", flat=True)) == [
        s3.pk, s2.pk, new.pk, s1.pk, tail.pk]
    for bad in ([s1.pk, s2.pk], [s1.pk, s1.pk, s2.pk, s3.pk, new.pk], [s1.pk, s2.pk, s3.pk,
                                                                        new.pk, 10**9]):
        with pytest.raises(ValidationError) as exc:
            stage_reorder(actor=None, pipeline=pipeline, stage_ids=bad)
        assert "stage_ids" in exc.value.errors
    stage_delete(actor=None, stage=new)
    assert list(pipeline.stages.order_by("position").values_list("position", flat=True)) == [
        0, 1, 2, 3]


def test_a_stage_with_deals_or_history_cannot_be_deleted(team, manager, admin):
    pipeline = plain_pipeline(team, 4)
    stages = list(pipeline.stages.order_by("position"))
    deal = make_deal(pipeline, manager)
    deal_move(deal=deal, to_stage=stages[2], actor=manager)
    deal_correct(deal=deal, to_stage=stages[1], actor=admin, reason="ошибка")
    for stage in (stages[0], stages[1], stages[2]):  # history, a deal, history
        with pytest.raises(ValidationError) as exc:
            stage_delete(actor=None, stage=stage)
        assert "stage" in exc.value.errors
    stage_delete(actor=None, stage=stages[3])
    assert pipeline.stages.count() == 3 and Deal.objects.get().stage_id == stages[1].pk


@pytest.mark.parametrize(("changes", "field"), [
    ({"probability": 101}, "probability"),
    ({"probability": -1}, "probability"),
    ({"probability": True}, "probability"),
    ({"probability": "50"}, "probability"),
    ({"time_limit_hours": -1}, "time_limit_hours"),
    ({"time_limit_hours": "24"}, "time_limit_hours"),
    ({"time_limit_hours": 8761}, "time_limit_hours"),
    ({"name": "  "}, "name"),
    ({"name": "я" * 201}, "name"),
    ({"pipeline": 1}, "pipeline"),
])
def test_bad_stage_changes_are_refused(team, changes, field):
    pipeline = plain_pipeline(team, 4)
    stage = pipeline.stages.first()
    with pytest.raises(ValidationError) as exc:
        stage_update(actor=None, stage=stage, **changes)
    assert field in exc.value.errors
    stage.refresh_from_db()
    assert (stage.name, stage.probability, stage.time_limit_hours) == ("Этап 1", 0, None)


def test_stage_limits_and_probability_are_stored(team):
    pipeline = plain_pipeline(team, 4)
    stage = stage_update(actor=None, stage=pipeline.stages.first(), time_limit_hours=48,
                         probability=20, goal="  Встреча проведена ")
    stage.refresh_from_db()
    assert (stage.time_limit_hours, stage.probability, stage.goal) == (
        48, 20, "Встреча проведена")
    stage_update(actor=None, stage=stage, time_limit_hours=0)
    stage.refresh_from_db()
    assert stage.time_limit_hours is None


def test_requirement_kinds_are_validated(team):
    pipeline = plain_pipeline(team, 4)
    stage = pipeline.stages.first()
    with pytest.raises(ValidationError) as exc:
        requirement_create(actor=None, stage=stage, kind="moon_phase")
    assert "kind" in exc.value.errors
    first = requirement_create(actor=None, stage=stage, kind="contact_attached")
    second = requirement_create(actor=None, stage=stage, kind="company_attached")
    assert second.position > first.position
    requirement_delete(actor=None, requirement=first)
    assert list(stage.requirements.values_list("kind", flat=True)) == ["company_attached"]


def test_loss_reasons_are_unique_per_pipeline(team):
    pipeline, other = plain_pipeline(team, 4), plain_pipeline(team, 4)
    with pytest.raises(ValidationError) as exc:
        loss_reason_create(actor=None, pipeline=pipeline, name="Дорого")
    assert "name" in exc.value.errors
    with pytest.raises(ValidationError):
        loss_reason_create(actor=None, pipeline=pipeline, name="")
    reason = loss_reason_create(actor=None, pipeline=pipeline, name=" Ушли к конкуренту ")
    assert reason.name == "Ушли к конкуренту"
    assert loss_reason_create(actor=None, pipeline=other, name="Ушли к конкуренту").pk
    assert LossReason.objects.filter(pipeline=pipeline).count() == 3


# --- goals, process names, loss reasons (seed 003 requirements 7-8, 11-12) -------------------

def test_a_stage_without_a_goal_is_flagged():
    stages = stages_named(PROCESS_NAMES[:5])
    stages[2].goal = "  "
    findings = lint_stages(stages, {s.pk: 1 for s in stages}, True)
    assert codes(findings) == [("no_goal", 3)]
    assert PROCESS_NAMES[2] in findings[0].message["en"]


@pytest.mark.parametrize("name", ["Встреча", "Классификация", "Отправка КП", "Оплата",
                                  "Входящая заявка", "Qualification", "Proposal sent"])
def test_a_stage_named_by_a_noun_is_not_a_process(name):
    findings = lint(PROCESS_NAMES[:4] + [name, "Согласование договора"])
    assert codes(findings) == [("not_a_process", None)]
    assert f"“{name}”, “Согласование договора”" in findings[0].message["en"]


@pytest.mark.parametrize("name", ["Договариваюсь о замере", "Жду оплату", "Выставляем счёт",
                                  "Agreeing the specification", "1. Провожу демо"])
def test_first_person_process_names_pass(name):
    assert lint(PROCESS_NAMES[:4] + [name]) == []


def test_a_pipeline_without_loss_reasons_is_flagged(team):
    pipeline = make_pipeline(team, reasons=[])
    assert codes(pipeline_lint(pipeline)) == [("no_loss_reasons", None)]
    reason = loss_reason_create(actor=None, pipeline=pipeline, name="Дорого")
    assert pipeline_lint(pipeline) == []
    reason.is_active = False
    reason.save()
    assert codes(pipeline_lint(pipeline)) == [("no_loss_reasons", None)]


def test_a_bad_loss_reason_names_its_line_and_creates_no_pipeline(team):
    with pytest.raises(ValidationError) as exc:
        pipeline_create(actor=None, team=team, name="Сломанная",
                        loss_reasons=["Дорого", "x" * 201])
    assert list(exc.value.errors) == ["loss_reasons.1"]
    assert not Pipeline.objects.filter(name="Сломанная").exists()


def test_renaming_and_retiring_need_the_pipeline_s_manager(pipeline, manager, other_head, head):
    reason = pipeline.loss_reasons.first()
    field = custom_field_create(actor=head, pipeline=pipeline, name="Регион", kind="text")
    for actor in (manager, other_head):
        with pytest.raises(PermissionDenied):
            pipeline_update(actor=actor, pipeline=pipeline, name="X")
        with pytest.raises(PermissionDenied):
            loss_reason_update(actor=actor, reason=reason, is_active=False)
        with pytest.raises(PermissionDenied):
            custom_field_update(actor=actor, field=field, name="X")
    assert loss_reason_update(actor=head, reason=reason, name=" Дорого ", is_active=False).name \
        == "Дорого"
    with pytest.raises(ValidationError) as exc:
        loss_reason_update(actor=head, reason=reason, name="")
    assert list(exc.value.errors) == ["name"]
    with pytest.raises(ValidationError):
        pipeline_update(actor=head, pipeline=pipeline, name=" ")


@pytest.mark.parametrize("name", ["Отказ", "Отказались", "Проиграна", "Lost"])
def test_a_stage_for_lost_deals_is_flagged(name):
    findings = lint(PROCESS_NAMES[:4] + [name])
    assert codes(findings) == [("loss_stage", 5)]
    assert "archived" in findings[0].message["en"]


def test_two_stages_of_one_name_are_refused(pipeline, stages, head):
    with pytest.raises(ValidationError) as exc:
        stage_create(actor=head, pipeline=pipeline, name=f"  {stages[1].name.upper()} ")
    assert list(exc.value.errors) == ["name"]
    with pytest.raises(ValidationError):
        stage_update(actor=head, stage=stages[0], name=stages[1].name)
    assert stage_update(actor=head, stage=stages[0], name=stages[0].name).name == stages[0].name
    assert pipeline.stages.count() == len(stages)


def test_stages_that_already_share_a_name_stay_editable(pipeline, stages, head):
    """Names from before the uniqueness rule: changing the goal alone is not refused."""
    from voronka.pipelines.models import Stage

    Stage.objects.filter(pk=stages[1].pk).update(name=stages[0].name)
    stage = Stage.objects.get(pk=stages[1].pk)
    assert stage_update(actor=head, stage=stage, name=stage.name, goal="Новая цель").goal == \
        "Новая цель"


def test_reasons_and_pipelines_are_unique_in_any_case(pipeline, team, head):
    with pytest.raises(ValidationError):
        loss_reason_create(actor=head, pipeline=pipeline, name="ДОРОГО")
    with pytest.raises(ValidationError):
        pipeline_create(actor=head, team=team, name=pipeline.name.lower())


def test_noun_names_that_look_like_verbs_are_still_nouns():
    findings = lint(PROCESS_NAMES[:4] + ["Приём заявки", "Meeting"])
    assert codes(findings) == [("not_a_process", None)]
    assert "«Приём заявки», «Meeting»" in findings[0].message["ru"]
    assert "“Приём заявки”, “Meeting”" in findings[0].message["en"]
