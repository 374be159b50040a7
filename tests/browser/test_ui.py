"""The web UI as a person uses it: log in, drag cards, answer the missing-facts dialog, archive,
plan and complete a task, switch the language, and a phone-sized screen."""

from __future__ import annotations

import datetime

from django.utils import timezone

from voronka.activities.services import task_create
from voronka.crm.services import company_create
from voronka.deals.models import Deal

from ..factories import done_task, make_deal
from .conftest import log_in, screenshot


def _board_data(pipeline, stages, manager):
    company = company_create(actor=manager, name="ООО «СтройПром»")
    deals = []
    for i, title in enumerate(["Стеллажи для склада", "Мезонин", "Линия упаковки",
                               "Ангар", "Сервисный договор"]):
        deal = make_deal(pipeline, manager, title=title, budget=str(150000 * (i + 1)),
                         company=company)
        task_create(actor=manager, deal=deal, text="Договориться о встрече с ЛПР",
                    due_at=timezone.now() + datetime.timedelta(days=i - 1))
        deals.append(deal)
    return deals


def _drag(page, source: str, target: str) -> None:
    """A real pointer drag: press, move in steps (SortableJS needs the moves), release."""
    src = page.locator(source).bounding_box()
    page.mouse.move(src["x"] + 40, src["y"] + 15)
    page.mouse.down()
    dst = page.locator(target).bounding_box()
    page.mouse.move(src["x"] + 60, src["y"] + 30, steps=5)
    page.mouse.move(dst["x"] + dst["width"] / 2, dst["y"] + 40, steps=15)
    page.mouse.up()


def test_drag_forward_with_a_missing_fact_fills_it_and_moves(page, pipeline, stages, manager):
    deals = _board_data(pipeline, stages, manager)
    deal = make_deal(pipeline, manager, title="Без бюджета", budget="0")
    done_task(deal, manager)  # the meeting is held; only the budget is missing
    log_in(page, manager)
    page.wait_for_selector(f"#card-{deal.pk}")
    screenshot(page, "board")
    _drag(page, f"#card-{deal.pk}", f"#cards-{stages[1].pk}")
    dialog = page.locator("#modal")
    dialog.locator("input[name=budget]").wait_for()
    assert "Budget" in dialog.inner_text()
    assert page.locator(f"#cards-{stages[0].pk} #card-{deal.pk}").count() == 1  # put back
    dialog.locator("input[name=budget]").fill("250000")
    dialog.locator("button[type=submit]").click()
    page.locator(f"#cards-{stages[1].pk} #card-{deal.pk}").wait_for()
    assert not dialog.is_visible()
    deal.refresh_from_db()
    assert deal.stage_id == stages[1].pk and deal.budget == 250000
    assert "1" in page.locator(f"#colhead-{stages[1].pk} .colhead-count").inner_text()
    assert deals  # the board had other cards around


def test_backward_drop_is_refused(page, pipeline, stages, manager):
    deal = make_deal(pipeline, manager, title="Уже на ТЗ", budget="1000")
    done_task(deal, manager)
    from voronka.deals.services import deal_move

    deal_move(deal=deal, to_stage=stages[1], actor=manager)
    log_in(page, manager)
    page.wait_for_selector(f"#card-{deal.pk}")
    _drag(page, f"#card-{deal.pk}", f"#cards-{stages[0].pk}")
    toast = page.locator("#toasts .toast-error")
    toast.wait_for()
    assert "no way back" in toast.inner_text()
    page.locator(f"#cards-{stages[1].pk} #card-{deal.pk}").wait_for()
    assert Deal.objects.get(pk=deal.pk).stage_id == stages[1].pk


def test_archive_with_a_reason_from_the_drop_zone(page, pipeline, stages, manager):
    deal = make_deal(pipeline, manager, title="Дорого для клиента", budget="1000")
    log_in(page, manager)
    page.wait_for_selector(f"#card-{deal.pk}")
    src = page.locator(f"#card-{deal.pk}").bounding_box()
    page.mouse.move(src["x"] + 40, src["y"] + 15)
    page.mouse.down()
    page.mouse.move(src["x"] + 60, src["y"] + 40, steps=5)
    zone = page.locator(".dropzone-lost")
    zone.wait_for()
    box = zone.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=15)
    page.mouse.up()
    dialog = page.locator("#modal")
    dialog.locator("#archive-form").wait_for()
    dialog.locator("button[type=submit]").click()  # no reason: the form does not submit
    assert dialog.locator("#archive-form").is_visible()
    dialog.get_by_label("Дорого").check()
    dialog.locator("textarea[name=comment]").fill("Нашли дешевле")
    dialog.locator("button[type=submit]").click()
    page.locator(f"#card-{deal.pk}").wait_for(state="detached")
    deal.refresh_from_db()
    assert deal.status == "lost" and deal.loss_reason.name == "Дорого"


def test_move_to_dialog_is_the_keyboard_alternative(page, pipeline, stages, manager):
    deal = make_deal(pipeline, manager, title="С клавиатуры", budget="1000")
    done_task(deal, manager)
    log_in(page, manager)
    page.locator(f"#card-{deal.pk} .card-move").click()
    page.locator("#modal .stagepick").wait_for()
    page.locator("#modal button", has_text=stages[1].name).click()
    page.locator(f"#cards-{stages[1].pk} #card-{deal.pk}").wait_for()
    assert Deal.objects.get(pk=deal.pk).stage_id == stages[1].pk


def test_plan_and_complete_a_task_with_wording_advice(page, pipeline, stages, manager):
    deal = make_deal(pipeline, manager, title="Задачи", budget="1000")
    log_in(page, manager)
    page.goto(page.base + f"/deals/{deal.pk}/")
    text = page.locator("#task-form textarea[name=text]")
    text.fill("Созвон с клиентом")
    page.locator("#wording.warn").wait_for()
    assert "созвон" in page.locator("#wording").inner_text()
    text.fill("Договориться о встрече с ЛПР во вторник")
    page.locator("#wording.good").wait_for()
    page.locator("#task-form button[type=submit]").click()
    item = page.locator(".tasklist li", has_text="Договориться о встрече с ЛПР во вторник")
    item.wait_for()
    item.locator("input[name=result]").fill("Встреча во вторник в 11:00")
    item.locator("button[type=submit]").click()
    page.locator(".tasklist li.task-done").wait_for()
    task = deal.tasks.get()
    assert task.is_done and task.result == "Встреча во вторник в 11:00"


def test_switch_language(page, manager):
    log_in(page, manager)
    page.goto(page.base + "/tasks/")
    page.click(".langswitch button[data-lang=ru]")
    page.wait_for_selector("html[lang=ru]")
    assert page.locator(".langswitch button.active").get_attribute("data-lang") == "ru"
    page.click(".langswitch button[data-lang=en]")
    page.wait_for_selector("html[lang=en]")
    assert "My tasks" in page.locator("h1").inner_text()


def test_phone_width_has_no_horizontal_page_scroll(page, pipeline, stages, manager):
    deals = _board_data(pipeline, stages, manager)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, manager)
    page.wait_for_selector(".column")
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(overflow) <= 0
    # The columns scroll inside the board, not the page.
    assert page.evaluate("document.getElementById('board').scrollWidth") > 390
    screenshot(page, "board-390")
    page.goto(page.base + f"/deals/{deals[0].pk}/")
    assert page.evaluate(overflow) <= 0
    screenshot(page, "deal-390", full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.reload()
    screenshot(page, "deal")
