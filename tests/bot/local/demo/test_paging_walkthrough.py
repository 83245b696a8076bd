"""Local mode's paging walkthrough, as the README shows it: a ticket escalated from the console, the page moving up
a level with `:wait`, acknowledged from bob's DMs."""

from __future__ import annotations

from tests.bot.local.test_console import Screen


def test_page_moves_up_with_wait_and_is_acknowledged_from_the_dms(screen: Screen) -> None:
    assert "primary: @alice · next @bob" in screen.type("/oncall")
    screen.type("/ticket new Checkout fails for Acme", "Acme", "", "", "", "P1", "y")
    shown = screen.type("/ticket escalate T-1 Customer cannot pay")
    assert "PG-1: paging @alice (level 1 of 3, round 1 of 2)" in shown
    assert "DM  [2] Liaison: Page PG-1: T-1 Checkout fails for Acme" in shown
    shown = screen.type(":wait 15m")
    assert "No acknowledgement within 15m." in shown and "Paging @bob for PG-1 (support, level 2 of 3" in shown
    shown = screen.type(":as bob", ":go DM", ":read")
    assert "You are paged (as a member of a paged user group): T-1 Checkout fails for Acme" in shown
    shown = screen.type(":click 1 acknowledge")
    assert "You acknowledged PG-1" in shown and "PG-1 acknowledged by @bob after 15m" in shown
    assert "Escalation PG-1: ✅ Acknowledged by @bob" in shown
    shown = screen.type(":wait 2h", ":as dave", ":go DM", ":read")
    assert "You are paged" not in shown, "acknowledged: the manager is never paged"
