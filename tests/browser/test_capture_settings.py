"""The channel settings screens at a phone's width: no horizontal page scroll, in Russian
(the longer wording) and English."""

from __future__ import annotations

import pytest

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
