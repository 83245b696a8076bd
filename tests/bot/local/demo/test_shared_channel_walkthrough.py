"""Local mode's shared-channel walkthrough, as the README shows it: wile (Acme) asks in #acme-shared, alice answers
in the thread and from the command line, and wile sees the status line follow along."""

from __future__ import annotations

from tests.bot.local.test_console import Screen


def test_a_customer_asks_in_the_shared_channel_and_sees_progress(screen: Screen) -> None:
    shown = screen.type(":as wile", ":go #acme-shared", ":post Checkout fails with error 502")
    assert "We have your request as *T-1*" in shown or "We have your request as T-1" in shown
    shown = screen.type(":as alice", ":go #acme-shared", ":reply 1 Looking at it now")
    shown = screen.type("/ticket claim T-1", "/ticket note T-1 Legacy plan, check the gateway")
    shown = screen.type("/ticket reply T-1 A fix is deploying, please retry in 10 minutes")
    shown = screen.type(":as wile", ":thread 1")
    assert "being worked on by alice" in shown.replace("*", "")
    assert "Looking at it now" in shown and "A fix is deploying, please retry in 10 minutes" in shown
    assert "alice (via Liaison)" in shown, "the reply from /ticket reply shows the agent's name"
    assert "Legacy plan" not in shown, "internal notes never reach the customer"
    screen.type(":reply 1 Works now, thanks!")
    shown = screen.type(":as alice", ":go #support-queue", ":thread 1")
    assert "Works now, thanks!" in shown
