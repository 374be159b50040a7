"""Case-insensitive search folds every letter's case on both databases (SQLite's own LIKE
folds ASCII only): deals, contacts, companies and capture's company dedupe."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voronka.core.sqlite import like
from voronka.crm.selectors import company_list, contact_list
from voronka.crm.services import company_create, contact_create
from voronka.deals.selectors import deal_list

from .factories import make_deal


@pytest.mark.parametrize("query", ["мезонин", "МЕЗОНИН", "Мезонин", "зон", "ЁЛКА"])
def test_cyrillic_search_ignores_case(query, pipeline, manager, head):
    company = company_create(actor=manager, name="ООО «Мезонин» и Ёлка")
    make_deal(pipeline, manager, title="Поставка", company=company)
    make_deal(pipeline, manager, title="Другое")
    expected = ["Поставка"]
    assert [d.title for d in deal_list(user=head, search=query)] == expected
    assert [c.name for c in company_list(user=manager, search=query)] == [company.name]


def test_contacts_found_whatever_the_case(pipeline, manager):
    deal = make_deal(pipeline, manager)
    from voronka.deals.services import deal_contact_attach

    contact = contact_create(actor=manager, full_name="Ирина Ёлкина", emails=["IRA@Example.com"])
    deal_contact_attach(deal=deal, contact=contact, role="decision_maker", actor=manager)
    for query in ("ирина", "ЁЛКИНА", "ira@example", "EXAMPLE.COM"):
        assert list(contact_list(user=manager, search=query)) == [contact], query


def test_like_keeps_wildcards_and_escapes_literal():
    assert like("%ab_c%", "xxABzCyy")
    assert not like("%ab_c%", "xxABCyy")
    assert like("%50\\%%", "скидка 50% до", "\\")
    assert not like("%50\\%%", "скидка 500 до", "\\")
    assert like("%a\\_b%", "A_B", "\\") and not like("%a\\_b%", "AxB", "\\")
    assert like(None, "x") is None and like("x", None) is None


@given(st.text(max_size=12), st.text(max_size=12))
def test_contains_is_substring_ignoring_case(needle, haystack):
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    assert like(f"%{escaped}%", haystack, "\\") == (needle.casefold() in haystack.casefold())
