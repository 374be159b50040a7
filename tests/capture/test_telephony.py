from voronka.activities.models import Call, Task
from voronka.capture.models import Capture
from voronka.crm.models import Contact
from voronka.deals.models import Deal

from ..factories import done_task, make_deal


def event(**kw):
    return {"provider_call_id": "c-1", "direction": "inbound", "from": "+7 916 555-44-33",
            "to": "+74950000000", "started_at": "2026-03-02T10:15:00+03:00", "duration": 185,
            "recording_url": "https://pbx.example/rec/c-1.mp3", "status": "answered", **kw}


def known_deal(pipeline, manager, stages):
    from voronka.crm.services import contact_create

    contact = contact_create(actor=manager, full_name="Пётр", phones=["+79165554433"])
    deal = make_deal(pipeline, manager, budget="100", contacts=[(contact, "other")])
    done_task(deal, manager)
    from voronka.deals.services import deal_move

    deal_move(deal=deal, to_stage=stages[1], actor=manager)
    return contact, deal


def test_answered_call_is_logged_on_the_open_deal_with_its_stage(phone_channel, visitor,
                                                                 pipeline, stages, manager):
    contact, deal = known_deal(pipeline, manager, stages)
    r = visitor.call(phone_channel, event())
    assert r.status_code == 201 and r.json()["outcome"] == "call_logged"
    call = Call.objects.get(provider_call_id="c-1")
    assert (call.deal, call.contact, call.stage, call.user) == (deal, contact, stages[1], manager)
    assert (call.duration_seconds, call.answered, call.direction) == (185, True, "inbound")
    assert call.recording_url.endswith("c-1.mp3")
    assert Deal.objects.count() == 1


def test_missed_call_sets_a_call_back_task(phone_channel, visitor, pipeline, stages, manager):
    _contact, deal = known_deal(pipeline, manager, stages)
    r = visitor.call(phone_channel, event(status="missed", duration=0))
    assert r.status_code == 201
    task = Task.objects.get(pk=r.json()["task_id"])
    assert (task.deal, task.kind, task.assignee, task.is_done) == (deal, "call", manager, False)
    assert "+79165554433" in task.text
    assert not Call.objects.get(provider_call_id="c-1").answered


def test_unknown_number_becomes_contact_deal_and_task(phone_channel, visitor, pipeline,
                                                      stages):
    r = visitor.call(phone_channel, event(direction="in", status="", duration=40))
    assert r.status_code == 201 and r.json()["outcome"] == "created"
    contact = Contact.objects.get()
    assert list(contact.phones.values_list("number", flat=True)) == ["+79165554433"]
    deal = Deal.objects.get()
    assert deal.pipeline == pipeline and deal.source == "phone"
    assert Task.objects.get(deal=deal).kind == "other"
    assert Call.objects.get().deal == deal and Call.objects.get().stage == stages[0]


def test_unknown_missed_number_gets_a_call_back(phone_channel, visitor):
    r = visitor.call(phone_channel, event(status="noanswer"))
    assert r.json()["outcome"] == "created"
    assert Task.objects.get().kind == "call"


def test_replayed_event_changes_nothing(phone_channel, visitor):
    visitor.call(phone_channel, event())
    before = [m.objects.count() for m in (Capture, Contact, Deal, Task, Call)]
    r = visitor.call(phone_channel, event(duration=999))
    assert r.status_code == 200 and r.json()["duplicate"] is True
    assert [m.objects.count() for m in (Capture, Contact, Deal, Task, Call)] == before
    assert Call.objects.get().duration_seconds == 185


def test_outbound_call_to_unknown_number_is_logged_alone(phone_channel, visitor):
    r = visitor.call(phone_channel, event(direction="outbound", to="+7 916 000 00 01",
                                          **{"from": "+74950000000"}))
    assert r.json()["outcome"] == "call_logged"
    call = Call.objects.get()
    assert (call.phone, call.deal, call.direction) == ("+79160000001", None, "outbound")
    assert not Deal.objects.exists()


def test_bad_events_are_named(phone_channel, visitor):
    r = visitor.call(phone_channel, {"direction": "sideways", "from": "x", "duration": "-3",
                                     "started_at": "yesterday", "status": "maybe"})
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"provider_call_id", "direction", "from", "duration",
                                       "started_at", "status"}
    assert not Call.objects.exists()


def test_provider_mapping(pipeline, admin, manager, visitor):
    from voronka.capture.services import channel_create

    channel = channel_create(actor=admin, name="Mango", kind="telephony", pipeline=pipeline,
                             mapping={"provider_call_id": "call.id", "from": "call.caller",
                                      "direction": "call.dir", "status": "call.result"})
    r = visitor.call(channel, {"call": {"id": 77, "caller": "89165554433", "dir": "in",
                                        "result": "missed"}})
    assert r.status_code == 201, r.content
    assert Capture.objects.get().provider_id == "77"


def test_a_captured_missed_call_is_announced_once(phone_channel, visitor, pipeline, stages,
                                                  manager):
    from voronka.core import events

    _contact, deal = known_deal(pipeline, manager, stages)
    heard = []

    def listener(event):
        if event.name == events.CALL_MISSED:
            heard.append(event)

    events.subscribe(listener)
    try:
        r = visitor.call(phone_channel, event(status="missed", duration=0))
    finally:
        events.unsubscribe(listener)
    assert r.status_code == 201
    capture = Capture.objects.get(pk=r.json()["capture_id"])
    assert len(heard) == 1
    assert (heard[0].deal_id, heard[0].data) == (deal.pk, {
        "call_id": capture.call_id, "phone": "+79165554433", "capture_id": capture.pk,
        "task_id": capture.task_id})
    assert capture.task.kind == "call"
