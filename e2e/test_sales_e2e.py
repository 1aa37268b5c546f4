"""A customer manager drags an opportunity across stages on the pipeline board (a refused move
snaps back with the reason), records a visit, and sees both on the customer page."""

from __future__ import annotations

import pytest

from e2e.fixtures import login
from jike.core.testing import PASSWORD, make_world
from jike.customers import services as customer_services
from jike.sales.testing import on_team, opportunity

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def drag(page, source: str, target: str) -> None:
    """Drag with real mouse steps: SortableJS needs intermediate moves to pick the drop list."""
    src = page.locator(source).bounding_box()
    dst = page.locator(target).bounding_box()
    page.mouse.move(src["x"] + src["width"] / 2, src["y"] + 10)
    page.mouse.down()
    for i in range(1, 21):
        x = src["x"] + src["width"] / 2 + (dst["x"] + dst["width"] / 2 - src["x"] - src["width"] / 2) * i / 20
        y = src["y"] + 10 + (dst["y"] + 40 - src["y"] - 10) * i / 20
        page.mouse.move(x, y)
        page.wait_for_timeout(15)
    page.mouse.up()


def test_board_drag_visit_and_customer_page(page):
    world = make_world()
    cm = world.users["hefei_cm"]
    cust = world.customer(name="合肥市政务数据局")
    on_team(cust, cm)
    person = customer_services.add_key_person(world.users["admin"], cust, name="吴处长", attitude="D")
    opp = opportunity(world, cust, title="政务外网专线")

    login(page, cm.username, PASSWORD)
    page.goto("/sales/board/")
    card = f"#opp-{opp.pk}"
    page.wait_for_selector(f'.board-list[data-stage="discovered"] {card}')

    # discovered -> solution (forward two stages) is allowed.
    drag(page, card, '.board-list[data-stage="solution"]')
    page.wait_for_selector("#board-alert.alert-success")
    assert page.locator(f'.board-list[data-stage="solution"] {card}').count() == 1
    assert page.locator(f"{card} .card-probability").inner_text() == "40%"
    opp.refresh_from_db()
    assert opp.stage == "solution"

    # solution -> won without products is refused: the reason shows and the card goes back.
    drag(page, card, '.board-list[data-stage="won"]')
    page.wait_for_selector("#board-alert.alert-danger")
    assert "产品" in page.locator("#board-alert").inner_text()
    page.wait_for_selector(f'.board-list[data-stage="solution"] {card}')
    opp.refresh_from_db()
    assert opp.stage == "solution"

    # solution -> proposal.
    drag(page, card, '.board-list[data-stage="proposal"]')
    page.wait_for_selector("#board-alert.alert-success")
    page.wait_for_selector(f'.board-list[data-stage="proposal"] {card}')
    opp.refresh_from_db()
    assert opp.stage == "proposal"

    # Record a visit from the customer page, with an observed attitude.
    page.goto(f"/customers/{cust.pk}/")
    page.click("#record-visit")
    page.fill("#id_summary", "与吴处长沟通专线割接方案")
    page.select_option(f"#id_attitude_{person.pk}", "B")
    page.select_option("#id_opportunity", str(opp.pk))
    page.click("#log-form button[type=submit]")

    # Back on the customer page: the visit and the opportunity at its new stage are both there.
    page.wait_for_selector("#panel-visits .visit-log")
    assert "与吴处长沟通专线割接方案" in page.locator("#panel-visits").inner_text()
    row = page.locator("#panel-opportunities .panel-opportunity", has_text="政务外网专线")
    assert row.get_attribute("data-stage") == "proposal"
    person.refresh_from_db()
    assert person.attitude == "B"
