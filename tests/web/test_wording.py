"""Task wording advice (seed 003 §7): a pure function, no database."""

import pytest

from voronka.activities.wording import check_task_wording


@pytest.mark.parametrize("text,words", [
    ("Созвон", ("созвон",)),
    ("созвониться с Иваном", ("созвон",)),
    ("Мониторинг тендера", ("мониторинг",)),
    ("Выяснить что решили", ("выяснить", "что решили")),
    ("Мониторить ситуацию", ("мониторинг",)),
    ("Спросить, что решили", ("что решили", "спросить")),
    ("Что надумали?", ("что решили",)),
    ("Побеспокоить клиента", ("побеспокоить",)),
    ("Find out what the client decided", ("find out", "what they decided")),
    ("Выйти на ЛПР", ("выйти на ЛПР",)),
    ("Получить обратную связь по КП", ("обратная связь",)),
    ("Проинформировать о скидке", ("проинформировать",)),
    ("Call back and follow-up", ("call back", "follow up")),
])
def test_process_only_wording_warns(text, words):
    advice = check_task_wording(text)
    assert advice.warn and advice.process_words == words and not advice.aims_at_agreement


@pytest.mark.parametrize("text", [
    "Договориться о встрече с ЛПР во вторник",
    "  договориться о созвоне с главным инженером",  # a call is fine as the agreement's object
    "Agree on the date of the contract signing",
])
def test_agreement_wording_is_good(text):
    advice = check_task_wording(text)
    assert advice.aims_at_agreement and not advice.warn


@pytest.mark.parametrize("text", ["", "   ", "Отправить КП", "Встреча в офисе клиента"])
def test_neutral_wording_neither_warns_nor_praises(text):
    advice = check_task_wording(text)
    assert not advice.warn and not advice.aims_at_agreement


def test_yo_and_case_do_not_matter():
    assert check_task_wording("ВЫЯСНИТЬ, что решИли").process_words == ("выяснить",
                                                                         "что решили")
    assert check_task_wording("Договорится о звонке").aims_at_agreement  # a common typo
