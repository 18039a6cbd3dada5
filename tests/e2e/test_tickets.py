"""Customer service in the browser, as people do it: a shopper complains about an order
from its page and finds the request on their account page; an agent picks it up from
the "unassigned" queue, answers with a canned answer from the FAQ and resolves it; the
shopper reads the reply and rates it; the supervisor's dashboard shows the figures."""

import re

import pytest

from customers.support.models import Ticket
from tests.customers.factories import UserFactory
from tests.customers.ticket_helpers import article
from tests.e2e.staff import staff_sign_in
from tests.orders.aftersales_helpers import delivered_order
from tests.orders.factories import listed_sku

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


def _log_in(page, live_server, login, target):
    staff_sign_in(page, live_server, login, target)


def _context_page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_a_complaint_from_an_order_is_answered_resolved_rated_and_counted(
    browser, page, live_server, artifacts_dir, transactional_db
):
    tea = listed_sku(price="45.00", stock=10, name="明前龙井")
    shopper = UserFactory(display_name="林夏")
    agent = UserFactory(
        roles=["support_agent"], email="agent@mall.example", display_name="客服陈静"
    )
    boss = UserFactory(roles=["support_supervisor"], email="boss@mall.example")
    order = delivered_order(items=[(tea, 1)], user=shopper)
    answer = article("包裹破损怎么办？", "非常抱歉！我们已为您安排补发，新包裹两天内送到。")

    # (1) The shopper complains from the order page.
    _log_in(page, live_server, shopper.phone, f"/orders/{order.number}/")
    page.click("#contact-service")
    page.wait_for_url(re.compile(r"/accounts/tickets/new/\?order="))
    assert page.locator("#id_order").input_value() == order.number
    assert page.locator("input[name=type][value=complaint]").is_checked()
    page.fill("#id_subject", "茶叶罐压坏了")
    page.fill("#id_body", "收到的包裹外箱破了，茶叶罐凹陷。")
    page.screenshot(path=str(artifacts_dir / "ticket-new.png"), full_page=True)
    page.click("#submit-ticket")
    page.wait_for_url(re.compile(r"/accounts/tickets/TK\d+/$"))
    ticket = Ticket.objects.get()
    assert (ticket.order, ticket.type, ticket.status) == (order, "complaint", "new")

    # It is on the account page.
    page.goto(live_server.url + "/accounts/")
    page.click("#my-tickets")
    page.wait_for_url(re.compile(r"/accounts/tickets/$"))
    assert "茶叶罐压坏了" in page.locator(f"[data-ticket='{ticket.number}']").inner_text()

    # (2) The agent picks it up from the unassigned queue and answers from the FAQ.
    agent_context, agent_page = _context_page(browser)
    try:
        _log_in(agent_page, live_server, agent.email, "/support/?view=unassigned")
        row = agent_page.locator(f"#queue tr[data-ticket='{ticket.number}']")
        assert re.search(r"\d", row.locator(".time-left").inner_text())
        agent_page.screenshot(path=str(artifacts_dir / "ticket-queue.png"), full_page=True)
        row.locator("a").first.click()
        agent_page.wait_for_url(re.compile(rf"/support/tickets/{ticket.number}/$"))
        agent_page.click("#assign-me")
        agent_page.wait_for_load_state()
        assert agent_page.locator("#assign-me").count() == 0
        agent_page.fill("#answers-q", "破损")
        agent_page.click("#answers-search")
        agent_page.locator(f"#answers li[data-article='{answer.pk}'] button.insert-answer").click()
        assert agent_page.locator("#id_body").input_value() == answer.body
        agent_page.screenshot(path=str(artifacts_dir / "ticket-agent.png"), full_page=True)
        agent_page.click("#send-reply")
        agent_page.wait_for_load_state()
        assert answer.body in agent_page.locator("#thread").inner_text()
        agent_page.click("#resolve")
        agent_page.wait_for_load_state()
        assert agent_page.locator("#resolve").count() == 0
    finally:
        agent_context.close()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == ("resolved", agent)
    assert ticket.messages.get(author=agent).from_article == answer
    assert ticket.follow_up.agent == agent

    # (1, later) The shopper reads the reply and rates the service.
    page.goto(live_server.url + f"/accounts/tickets/{ticket.number}/")
    assert answer.body in page.locator("#thread").inner_text()
    page.check("input[name=rating][value='5']")
    page.fill("#id_comment", "处理得很快")
    page.click("#submit-rating")
    page.wait_for_load_state()
    assert "5" in page.locator("#your-rating").inner_text()
    page.screenshot(path=str(artifacts_dir / "ticket-rated.png"), full_page=True)
    ticket.refresh_from_db()
    assert (ticket.rating, ticket.status) == (5, "closed")

    # (3) The supervisor's dashboard counts it.
    boss_context, boss_page = _context_page(browser)
    try:
        _log_in(boss_page, live_server, boss.email, "/support/dashboard/")
        row = boss_page.locator(f"#agent-figures tr[data-agent='{agent.pk}']")
        assert row.locator(".handled").inner_text() == "1"
        assert row.locator(".compliance").inner_text().startswith("100")
        assert row.locator(".satisfaction").inner_text().startswith("5.0")
        boss_page.screenshot(path=str(artifacts_dir / "ticket-dashboard.png"), full_page=True)
    finally:
        boss_context.close()
