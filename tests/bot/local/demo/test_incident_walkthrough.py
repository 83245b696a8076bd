"""Local mode's incident walkthrough, as the README shows it: an incident declared from the console, its customer
liaison paged, a ticket linked, an update reaching the ticket."""

from __future__ import annotations

from tests.bot.local.test_console import Screen


def test_declare_watch_the_liaison_be_paged_and_link_a_ticket(screen: Screen) -> None:
    screen.type("/ticket new Checkout fails for Acme", "Acme", "", "", "", "P1", "y")
    shown = screen.type("/incident declare Checkout down", "", "1", "Payments fail at checkout", "", "y")
    assert "You are commander of INC-1 (SEV1): Checkout down." in shown
    assert "DM  [3] Liaison: Page PG-1: INC-1 Checkout down" in shown, "alice is on call: she is paged as liaison"
    shown = screen.type(":wait 5s", ":go #inc-1-checkout-down", ":read")
    assert "INC-1 · SEV1 · Checkout down" in shown and "Customer liaison @alice" in shown
    shown = screen.type("/incident link T-1", "/incident update Fix deployed, watching", ":wait 5s")
    assert "Linked T-1 to INC-1." in shown and "INC-1 update from @alice: Fix deployed, watching" in shown
    shown = screen.type(":go #support-queue", ":read")
    assert "Incident: INC-1 (SEV1, investigating) Checkout down" in shown
