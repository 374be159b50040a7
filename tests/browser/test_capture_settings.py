"""The channel settings screens at a phone's width: no horizontal page scroll, in Russian
(the longer wording) and English."""

from __future__ import annotations

import pytest

from tests.factories import make_pipeline
from voronka.capture.models import Channel
from voronka.capture.services import channel_create
from voronka.pipelines.services import custom_field_create

from .conftest import log_in, screenshot

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_channel_settings_fit_a_phone(page, pipeline, head, manager, manager2, language):
    head.language = language
    head.save(update_fields=["language"])
    custom_field_create(actor=head, pipeline=pipeline, name="Регион обслуживания", kind="text")
    form = channel_create(actor=head, name="Заявка с сайта — длинное название канала",
                          kind=Channel.Kind.FORM, pipeline=pipeline, source="site")
    hook = channel_create(actor=head, name="Tilda", kind=Channel.Kind.WEBHOOK,
                          pipeline=pipeline, mapping={"phone": "contact.phones.0"})
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, head)
    for name, url in [("list", "/capture/"), ("kind", "/capture/channels/new/"),
                      ("new-form", "/capture/channels/new/?kind=form"),
                      ("new-telephony", "/capture/channels/new/?kind=telephony"),
                      ("edit-form", f"/capture/channels/{form.pk}/edit/"),
                      ("edit-hook", f"/capture/channels/{hook.pk}/edit/"),
                      ("channel", f"/capture/channels/{form.pk}/"),
                      ("channel-hook", f"/capture/channels/{hook.pk}/")]:
        page.goto(page.base + url)
        assert page.evaluate(OVERFLOW) <= 0, name
        if language == "ru":
            screenshot(page, f"capture-{name}-390", full_page=True)
    # An error comes back on the field it names, still within the width.
    page.goto(page.base + f"/capture/channels/{form.pk}/edit/")
    page.fill("#id_channelform_task_due_minutes", "0")
    page.click("form.panel button[type=submit]")
    page.wait_for_selector(".field.has-error #id_channelform_task_due_minutes")
    assert page.evaluate(OVERFLOW) <= 0


def test_choosing_another_pipeline_offers_its_custom_fields(page, team, pipeline, head, manager):
    custom_field_create(actor=head, pipeline=pipeline, name="Регион", kind="text", code="region")
    other = make_pipeline(team, name="Сервис")
    custom_field_create(actor=head, pipeline=other, name="Серийный номер", kind="text",
                        code="serial")
    log_in(page, head)
    page.goto(page.base + "/capture/channels/new/?kind=form")
    page.wait_for_selector("[name=show_custom_region]")
    page.fill("#id_channelform_name", "Заявка с сайта")
    page.uncheck("[name=show_email]")
    page.select_option("#id_channelform_pipeline", str(other.pk))
    page.wait_for_selector("[name=show_custom_serial]")
    assert page.locator("[name=show_custom_region]").count() == 0
    assert not page.is_checked("[name=show_email]")  # what was ticked stays ticked
    page.check("[name=show_custom_serial]")
    page.click("form.panel button[type=submit]")
    page.wait_for_url("**/capture/channels/*/")
    channel = Channel.objects.get(name="Заявка с сайта")
    assert channel.pipeline_id == other.pk
    assert "custom.serial" in [f["target"] for f in channel.fields]
    assert "email" not in [f["target"] for f in channel.fields]
