"""The channel settings screens: kind first, create and edit each kind through the services,
field-named errors, a new key, who may (others and other teams get 404)."""

import pytest
from django.test import Client

from tests.factories import make_pipeline
from voronka.capture.models import Channel
from voronka.pipelines.services import custom_field_create

from .conftest import Public


def login(user):
    client = Client()
    client.force_login(user)
    return client


def base(pipeline, **extra):
    data = {"name": "Лендинг", "pipeline": str(pipeline.pk), "is_active": "on",
            "source": "landing", "distribution": "round_robin", "task_due_minutes": "20"}
    data.update(extra)
    return data


def form_rows(**rows):
    """show/required/label/input per target: rows(phone=(True, True, "Телефон"))."""
    data = {}
    for target, (show, required, label) in rows.items():
        if show:
            data[f"show_{target}"] = "on"
        if required:
            data[f"required_{target}"] = "on"
        data[f"label_{target}"] = label
        data[f"input_{target}"] = target
    return data


def test_kind_comes_first_with_explanations(admin, pipeline):
    html = login(admin).get("/capture/channels/new/").content.decode()
    for kind in Channel.Kind.values:
        assert f"?kind={kind}" in html
    assert "telephony provider" in html


def test_admin_creates_a_form_channel_and_sees_the_snippet(admin, pipeline, manager,
                                                           manager2):
    client = login(admin)
    page = client.get("/capture/channels/new/?kind=form")
    assert page.status_code == 200 and 'name="show_phone"' in page.content.decode()
    data = base(pipeline, kind="form", members=[str(manager.pk)],
                success_url="https://example.com/thanks",
                **form_rows(name=(True, False, ""), phone=(True, True, "Ваш телефон"),
                            email=(False, False, ""), comment=(True, False, "")))
    r = client.post("/capture/channels/new/", data)
    assert r.status_code == 302
    channel = Channel.objects.get(name="Лендинг")
    assert r["Location"] == f"/capture/channels/{channel.pk}/"
    assert channel.kind == "form" and channel.source == "landing"
    assert channel.task_due_minutes == 20 and channel.success_url == "https://example.com/thanks"
    assert [(f["target"], f["required"], f["label"]) for f in channel.fields] == [
        ("name", False, ""), ("phone", True, "Ваш телефон"), ("comment", False, "")]
    assert list(channel.members.all()) == [manager]
    detail = client.get(r["Location"]).content.decode()
    assert f"/capture/forms/{channel.key}/" in detail and channel.key in detail
    assert "&lt;form method=&quot;post&quot;" in detail and "Ваш телефон" in detail
    assert f"/capture/channels/{channel.pk}/edit/" in detail
    assert "/admin/capture/channel/" not in detail


def test_callback_defaults_to_one_required_phone(head, pipeline):
    client = login(head)
    html = client.get("/capture/channels/new/?kind=callback").content.decode()
    assert 'name="show_phone" id="id_channelform_show_phone" checked' in html
    assert 'name="show_email" id="id_channelform_show_email">' in html
    r = client.post("/capture/channels/new/", base(
        pipeline, kind="callback", **form_rows(phone=(True, True, ""))))
    assert r.status_code == 302
    channel = Channel.objects.get(kind="callback")
    assert channel.fields == [{"name": "phone", "target": "phone", "label": "",
                               "required": True}]


def test_webhook_mapping_is_saved_and_used(admin, pipeline, manager):
    custom_field_create(actor=admin, pipeline=pipeline, name="Region", kind="text")
    client = login(admin)
    html = client.get("/capture/channels/new/?kind=webhook").content.decode()
    assert 'name="map_custom_region"' in html and 'name="map_provider_id"' in html
    r = client.post("/capture/channels/new/", base(
        pipeline, kind="webhook", map_phone="contact.phone", map_name="contact.name",
        map_provider_id="id", map_custom_region="geo.region"))
    assert r.status_code == 302
    channel = Channel.objects.get(kind="webhook")
    assert channel.mapping == {"phone": "contact.phone", "name": "contact.name",
                               "provider_id": "id", "custom.region": "geo.region"}
    answer = Public().hook(channel, {"id": "x1", "contact": {"phone": "+79160000011",
                                                             "name": "Ира"},
                                     "geo": {"region": "Тверь"}})
    assert answer.status_code in (200, 201, 202)
    capture = channel.captures.get()
    assert capture.contact.full_name == "Ира"
    assert capture.deal.custom_fields.get("region") == "Тверь"


def test_choosing_another_pipeline_redraws_the_rows_with_its_custom_fields(admin, team,
                                                                          pipeline):
    """The rows offer the chosen pipeline's custom fields as soon as it is chosen, keeping
    what was ticked; nothing is saved by the redraw."""
    custom_field_create(actor=admin, pipeline=pipeline, name="Region", kind="text")
    other = make_pipeline(team, name="Сервис")
    custom_field_create(actor=admin, pipeline=other, name="Serial", kind="text")
    client = login(admin)
    html = client.get("/capture/channels/new/?kind=form").content.decode()
    assert 'hx-vals=\'{"refresh_rows": "1"}\'' in html and 'id="channel-rows"' in html
    assert 'name="show_custom_region"' in html and 'name="show_custom_serial"' not in html
    r = client.post("/capture/channels/new/", base(
        other, kind="form", refresh_rows="1", **form_rows(phone=(True, True, "Тел."))))
    html = r.content.decode()
    assert r.status_code == 200 and not Channel.objects.exists()
    assert 'name="show_custom_serial"' in html and 'name="show_custom_region"' not in html
    assert 'name="show_phone" id="id_channelform_show_phone" checked' in html
    assert 'value="Тел."' in html and "form-errors" not in html

    hook = client.post("/capture/channels/new/", base(pipeline, kind="webhook"))
    channel = Channel.objects.get()
    assert hook.status_code == 302
    html = client.post(f"/capture/channels/{channel.pk}/edit/", base(
        other, refresh_rows="1")).content.decode()
    assert 'name="map_custom_serial"' in html and 'name="map_custom_region"' not in html
    channel.refresh_from_db()
    assert channel.pipeline_id == pipeline.pk


def test_telephony_channel_offers_the_call_fields(admin, pipeline):
    client = login(admin)
    html = client.get("/capture/channels/new/?kind=telephony").content.decode()
    assert 'name="map_provider_call_id"' in html and 'name="success_url"' not in html
    r = client.post("/capture/channels/new/", base(pipeline, kind="telephony",
                                                   map_from="caller.number"))
    assert r.status_code == 302
    assert Channel.objects.get(kind="telephony").mapping == {"from": "caller.number"}


def test_service_errors_come_back_naming_the_fields(admin, pipeline):
    client = login(admin)
    r = client.post("/capture/channels/new/", base(
        pipeline, kind="form", name="  ", task_due_minutes="0",
        success_url="javascript:alert(1)", **form_rows(name=(True, False, ""))))
    assert r.status_code == 422
    form = r.context["form"]
    assert "name" in form.errors
    r = client.post("/capture/channels/new/", base(
        pipeline, kind="form", task_due_minutes="0", success_url="ftp://x",
        **form_rows(name=(True, False, ""))))
    form = r.context["form"]
    assert r.status_code == 422
    assert set(form.errors) >= {"task_due_minutes", "success_url"}
    # No phone or e-mail on the form: the service's error shows in the fields section.
    r = client.post("/capture/channels/new/", base(
        pipeline, kind="form", **form_rows(name=(True, False, ""))))
    assert r.status_code == 422
    assert "phone or an e-mail" in " ".join(r.context["form"].section_errors)
    # A bad input name is marked on that row's input.
    data = base(pipeline, kind="form", **form_rows(phone=(True, True, "")))
    data["input_phone"] = "Bad Name"
    r = client.post("/capture/channels/new/", data)
    assert r.status_code == 422 and "input_phone" in r.context["form"].errors
    # Nothing ticked: said in the fields section.
    r = client.post("/capture/channels/new/", base(pipeline, kind="form"))
    assert r.status_code == 422 and r.context["form"].section_errors
    assert not Channel.objects.exists()


def test_edit_changes_the_public_form(admin, pipeline, manager, form_channel):
    client = login(admin)
    page = client.get(f"/capture/channels/{form_channel.pk}/edit/")
    assert page.status_code == 200
    assert page.context["form"]["name"].value() == form_channel.name
    data = base(pipeline, name="Заявка (новая)", **form_rows(
        phone=(True, True, "Телефон для связи"), company=(True, True, "Компания")))
    r = client.post(f"/capture/channels/{form_channel.pk}/edit/", data)
    assert r.status_code == 302
    form_channel.refresh_from_db()
    assert form_channel.name == "Заявка (новая)"
    assert [f["target"] for f in form_channel.fields] == ["phone", "company"]
    public = Client().get(f"/capture/forms/{form_channel.key}/").content.decode()
    assert 'name="company"' in public and "Телефон для связи" in public
    assert 'name="email"' not in public and 'name="comment"' not in public
    # The required company is now enforced on submit.
    answer = Public().form(form_channel, {"phone": "+79160000021"})
    assert answer.status_code in (200, 400, 422) and form_channel.captures.filter(
        outcome="created").count() == 0


def test_failed_edit_changes_nothing(admin, pipeline, form_channel, manager):
    before = (form_channel.name, form_channel.fields, form_channel.key)
    r = login(admin).post(f"/capture/channels/{form_channel.pk}/edit/", base(
        pipeline, name="Другое имя", task_due_minutes="0", **form_rows(phone=(True, True, ""))))
    assert r.status_code == 422 and "task_due_minutes" in r.context["form"].errors
    form_channel.refresh_from_db()
    assert (form_channel.name, form_channel.fields, form_channel.key) == before


def test_regenerate_key_stops_the_old_address(admin, form_channel):
    old = form_channel.key
    client = login(admin)
    r = client.post(f"/capture/channels/{form_channel.pk}/key/")
    assert r.status_code == 302
    form_channel.refresh_from_db()
    assert form_channel.key != old
    assert Client().get(f"/capture/forms/{old}/").status_code == 404
    assert Client().get(f"/capture/forms/{form_channel.key}/").status_code == 200
    assert client.get(f"/capture/channels/{form_channel.pk}/key/").status_code == 405


def test_a_leaked_key_is_replaced_even_if_other_settings_no_longer_pass(admin, form_channel):
    """Only the key changes: settings that would not be saved today (a limit out of range)
    do not stand in the way of replacing a leaked key, and stay as they were."""
    Channel.objects.filter(pk=form_channel.pk).update(task_due_minutes=0)
    old = form_channel.key
    r = login(admin).post(f"/capture/channels/{form_channel.pk}/key/")
    assert r.status_code == 302
    form_channel.refresh_from_db()
    assert form_channel.key != old and form_channel.task_due_minutes == 0


def test_head_sets_up_own_team_only(head, other_head, pipeline, other_pipeline, form_channel,
                                    manager, other_manager):
    client = login(head)
    page = client.get("/capture/channels/new/?kind=form")
    choices = dict(page.context["form"].fields["pipeline"].choices)
    assert str(pipeline.pk) in choices and str(other_pipeline.pk) not in choices
    members = dict(page.context["form"].fields["members"].choices)
    assert str(manager.pk) in members and str(other_manager.pk) not in members
    # Another team's pipeline in the POST is not a choice.
    r = client.post("/capture/channels/new/", base(other_pipeline, kind="form",
                                                   **form_rows(phone=(True, True, ""))))
    assert r.status_code == 422 and "pipeline" in r.context["form"].errors
    assert client.get(f"/capture/channels/{form_channel.pk}/edit/").status_code == 200
    # The other team's head: the channel does not exist for them.
    other = login(other_head)
    assert other.get(f"/capture/channels/{form_channel.pk}/edit/").status_code == 404
    assert other.post(f"/capture/channels/{form_channel.pk}/edit/",
                      base(other_pipeline)).status_code == 404
    assert other.post(f"/capture/channels/{form_channel.pk}/key/").status_code == 404
    assert other.get(f"/capture/channels/{form_channel.pk}/").status_code == 404


@pytest.mark.parametrize("who", ["manager", "marketer"])
def test_others_get_404(who, request, form_channel, pipeline):
    client = login(request.getfixturevalue(who))
    old = form_channel.key
    assert client.get("/capture/channels/new/").status_code == 404
    assert client.get("/capture/channels/new/?kind=form").status_code == 404
    assert client.post("/capture/channels/new/", base(
        pipeline, kind="form", **form_rows(phone=(True, True, "")))).status_code == 404
    assert client.get(f"/capture/channels/{form_channel.pk}/edit/").status_code == 404
    assert client.post(f"/capture/channels/{form_channel.pk}/key/").status_code == 404
    form_channel.refresh_from_db()
    assert form_channel.key == old and Channel.objects.count() == 1


def test_marketer_sees_the_channel_without_settings(marketer, form_channel):
    html = login(marketer).get(f"/capture/channels/{form_channel.pk}/").content.decode()
    assert "/edit/" not in html and form_channel.key not in html.replace(
        f"/capture/forms/{form_channel.key}/", "")


def test_list_links_to_the_new_pages(admin, head, form_channel):
    html = login(admin).get("/capture/").content.decode()
    assert 'href="/capture/channels/new/"' in html and "/admin/capture/" not in html
    assert 'href="/capture/channels/new/"' in login(head).get("/capture/").content.decode()


def test_members_of_another_team_are_refused_by_the_service(admin, pipeline, other_manager):
    r = login(admin).post("/capture/channels/new/", base(
        pipeline, kind="form", members=[str(other_manager.pk)],
        **form_rows(phone=(True, True, ""))))
    assert r.status_code == 422 and "members" in r.context["form"].errors
    assert not Channel.objects.exists()


def test_channel_with_no_pipeline_choice(db, admin):
    html = login(admin).get("/capture/channels/new/").content.decode()
    assert "create one first" in html


def test_unknown_channel_is_404(admin):
    assert login(admin).get("/capture/channels/999999/edit/").status_code == 404



def test_emptying_a_forms_fields_is_refused_not_reset(admin, form_channel):
    """Any door: an empty field list is an error naming it, not a silent return to the
    default form (only a new channel without ``fields`` gets the usual ones)."""
    from voronka.capture.services import channel_update
    from voronka.core.errors import ValidationError

    before = Channel.objects.get(pk=form_channel.pk).fields
    with pytest.raises(ValidationError) as refused:
        channel_update(channel=Channel.objects.get(pk=form_channel.pk), actor=admin, fields=[])
    assert "fields" in refused.value.errors
    assert Channel.objects.get(pk=form_channel.pk).fields == before


def test_who_receives_the_deals_lists_the_chosen_pipelines_team_only(admin, manager,
                                                                    other_manager, pipeline,
                                                                    other_pipeline):
    """Another team's managers cannot take the pipeline's deals: they are not offered, and the
    list follows the pipeline when another is chosen (redrawn out of band)."""
    client = login(admin)
    html = client.get("/capture/channels/new/?kind=form").content.decode()

    def offered(page):
        return {u for u in (manager, other_manager) if f'name="members" value="{u.pk}"' in page}

    assert len(offered(html)) == 1  # the first pipeline's team only
    assert 'hx-select-oob="#channel-members"' in html and 'id="channel-members"' in html
    second = other_pipeline if offered(html) == {manager} else pipeline
    html = client.post("/capture/channels/new/", base(
        second, kind="form", refresh_rows="1")).content.decode()
    assert offered(html) == {other_manager if second == other_pipeline else manager}
