"""The settings pages a head of sales uses: the pipeline editor (reasons, fields, stages with
deals) and the users page, at a phone's width and on a desktop, in Russian."""

from __future__ import annotations

from voronka.pipelines.services import custom_field_create

from ..factories import make_deal
from .conftest import log_in, screenshot

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_pipeline_editor_and_users_fit_a_phone(page, pipeline, head, manager):
    head.language = "ru"
    head.save(update_fields=["language"])
    custom_field_create(actor=head, pipeline=pipeline, name="Отрасль клиента", kind="choice",
                        choices=["Производство", "Торговля"])
    make_deal(pipeline, manager, title="Стеллажи")
    log_in(page, head)
    for width, suffix in ((1400, ""), (390, "-390")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(page.base + f"/settings/pipelines/{pipeline.pk}/")
        page.wait_for_selector("#stage-list")
        assert page.evaluate(OVERFLOW) <= 0, width
        screenshot(page, f"settings-pipeline{suffix}", full_page=True)
        page.goto(page.base + "/settings/users/")
        assert page.evaluate(OVERFLOW) <= 0, width
        screenshot(page, f"settings-users{suffix}", full_page=True)
    # Reordering stages that hold deals asks first; declining keeps the order.
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(page.base + f"/settings/pipelines/{pipeline.pk}/")
    first = page.locator("#stage-list .stage-item b").first.inner_text()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#stage-list .stage-item").first.locator("button[value=down]").click()
    page.wait_for_timeout(300)
    assert page.locator("#stage-list .stage-item b").first.inner_text() == first
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#stage-list .stage-item").first.locator("button[value=down]").click()
    page.wait_for_load_state()
    assert page.locator("#stage-list .stage-item b").first.inner_text() != first
