"""The local console over the real stack: a person types lines, the bot answers through the stand-in."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from bot.clock import MovableClock
from bot.db import Database
from bot.local.console import Console
from bot.local.driver import SlackDriver
from bot.local.standin import SlackStandIn
from models import Ticket
from tests.slack_fixtures import ALICE, BOB, CAROL, GENERAL, QUEUE


class Screen:
    """A console writing into a buffer; type() feeds lines and returns what appeared since the last call."""

    def __init__(self, console: Console, out: io.StringIO) -> None:
        self.console, self.out, self.read_to = console, out, 0

    def type(self, *lines: str) -> str:
        self.console.run(lines)
        text, self.read_to = self.out.getvalue()[self.read_to :], len(self.out.getvalue())
        return text


@pytest.fixture
def screen(driver: SlackDriver, slack: SlackStandIn, deliver, clock: MovableClock) -> Screen:
    out = io.StringIO()
    console = Console(driver=driver, slack=slack, deliver=deliver, clock=clock, user=ALICE, channel=QUEUE, out=out)
    return Screen(console, out)


def ticket(database: Database, number: int = 1) -> Ticket:
    with database.session() as session:
        found = session.get(Ticket, number)
        assert found is not None
        session.expunge(found)
        return found


def open_ticket(screen: Screen) -> str:
    # Customer, tier, subject, description, priority; then submit.
    return screen.type("/ticket new Checkout fails", "Acme", "", "", "Payments fail since 9am", "P2", "y")


def test_a_ticket_opens_field_by_field_with_an_inline_error_fixed_on_the_way(
    screen: Screen, slack: SlackStandIn, database: Database
) -> None:
    shown = screen.type("/ticket new Checkout fails")
    assert "┌─ New ticket ─┐" in shown and "Subject = “Checkout fails”" in shown and "3) P3 · Normal ✓" in shown
    assert slack.view_stack(ALICE)[0]["callback_id"] == "ticket_new"
    # Leave the customer empty: Liaison answers with an inline error, and only that field is asked again.
    shown = screen.type("", "2", "", "", "high", "")
    assert "Submit? [Y/n/cancel]" in shown
    assert "1. Customer: ⚠ Pick a customer or type a new one." in shown
    assert slack.view_stack(ALICE), "the form stays open after an errors answer"
    shown = screen.type("Acme", "y")
    assert "✓ Submitted; the form closed." in shown
    assert "#support-queue  [1] Liaison: T-1 · P2 · New · Checkout fails" in shown
    assert "↳ Liaison: 🎫 @alice opened T-1." in shown and "DM  [1] Liaison: 🎫 T-1 is open" in shown
    opened = ticket(database)
    assert (opened.subject, opened.priority, opened.status) == ("Checkout fails", "P2", "new")
    assert slack.view_stack(ALICE) == []


def test_a_typo_in_a_select_is_asked_again_and_cancel_closes_the_form(screen: Screen, slack: SlackStandIn) -> None:
    shown = screen.type("/ticket new", "Acme", "", "Subject", "", "urgentish")
    assert "“urgentish” is not one of the options: type 1-4" in shown
    assert "Priority (1-4) [P3 · Normal]: " in shown
    shown = screen.type("cancel")
    assert "Form closed without submitting." in shown and slack.view_stack(ALICE) == []


def test_read_shows_the_card_with_its_controls_and_click_claims_it(
    screen: Screen, slack: SlackStandIn, database: Database
) -> None:
    open_ticket(screen)
    shown = screen.type(":read")
    assert "#support-queue · 1 message(s)" in shown and "[1] Liaison" in shown
    assert "== T-1 · Checkout fails ==" in shown and "Customer: Acme (standard)" in shown
    assert "[Claim] [Change status ▾] [Add note]" in shown and "(1 reply — :thread 1)" in shown

    shown = screen.type(":click 1 claim")
    assert "(only you, #support-queue) T-1 is yours." in shown
    assert "[1] updated: Status: Open · Assignee: @alice" in shown and "🙋 @alice took the ticket." in shown
    shown = screen.type(":read")
    assert "(edited)" in shown and "Assignee: @alice" in shown and "[Take over] [Change status ▾]" in shown
    assert ticket(database).assignee_id == ALICE


def test_a_select_takes_an_option_by_label_and_lists_them_when_missing(screen: Screen, database: Database) -> None:
    open_ticket(screen)
    shown = screen.type(":click 1 status")
    assert "Pick an option of [Change status ▾]: 1) New, 2) Open" in shown
    shown = screen.type(":click 1 status solved")
    assert "T-1: status is now Solved." in shown
    assert ticket(database).status == "solved"
    assert "[Change status ▾] [Add note]" in screen.type(":read")


def test_add_note_opens_the_note_modal_from_the_card(screen: Screen, slack: SlackStandIn) -> None:
    open_ticket(screen)
    shown = screen.type(':click 1 "add note"')
    assert "┌─ Internal note ─┐" in shown and "Note (only the support team sees it)" in shown
    shown = screen.type("", "", "Customer is on the legacy plan", "")
    assert "Note (only the support team sees it): ⚠ Write the note, or cancel." in shown
    assert "✓ Submitted" in shown and "Customer is on the legacy plan" in screen.type(":thread 1")


def test_someone_outside_support_is_refused_and_nothing_changes(screen: Screen, database: Database) -> None:
    open_ticket(screen)
    shown = screen.type(":as carol")
    assert "You are now carol (Carol Sales, account manager (not an agent))." in shown
    assert "carol is not in #support-queue" in shown
    shown = screen.type(":click 1 claim")
    assert "Only support agents can change T-1." in shown
    assert ticket(database).assignee_id is None
    assert screen.console.prompt == "carol in #support-queue> "


def test_a_posted_report_becomes_a_ticket_by_shortcut(screen: Screen, slack: SlackStandIn, database: Database) -> None:
    screen.type(":as carol", ":go #general")
    shown = screen.type(":post Checkout is down for our EU shop")
    assert "Posted as [1] in #general." in shown
    assert slack.messages(GENERAL)[0]["user"] == CAROL
    screen.type(":as alice")
    shown = screen.type(":shortcut 1")
    assert "Subject = “Checkout is down for our EU shop”" in shown and "From this message" in shown
    shown = screen.type("Acme EU", "", "", "", "", "")
    assert "✓ Submitted" in shown and "opened T-1 from this message" in shown
    assert ticket(database).source == "shortcut"


def test_reacting_with_the_ticket_emoji_opens_a_ticket(screen: Screen, slack: SlackStandIn, database: Database) -> None:
    slack.post_user_message(GENERAL, CAROL, "Our dashboard is blank")
    screen.type(":go general")
    shown = screen.type(":react 1")
    assert "You reacted 🎫 to [1]." in shown and "#general  ↳ Liaison: 🎫 @alice opened T-1" in shown
    assert ticket(database).source == "reaction"
    assert "(1 reply — :thread 1)" in screen.type(":read")


def test_home_shows_the_tab_and_clicks_its_buttons(screen: Screen, database: Database) -> None:
    open_ticket(screen)
    screen.type(":as bob")
    shown = screen.type(":home")
    assert "┌─ Home ─┐" in shown and "== Most urgent in the queue ==" in shown and "[1 Claim]" in shown
    shown = screen.type(":click home 1")
    assert "T-1 Checkout fails · Acme (standard) · P2 · Open · @bob" in shown
    assert ticket(database).assignee_id == BOB
    assert "Open the Home tab first" in screen.type(":as carol", ":click home 1")


def test_thread_and_dms(screen: Screen) -> None:
    open_ticket(screen)
    screen.type(":click 1 claim")
    shown = screen.type(":thread 1")
    assert "== T-1 · Checkout fails ==" in shown
    assert "  ↳ Liaison" in shown and "🎫 @alice opened T-1." in shown and "🙋 @alice took the ticket." in shown
    shown = screen.type(":dms")
    assert "Your DMs from Liaison · 1 message(s)" in shown and "T-1 is open: Checkout fails (Acme, P2)" in shown
    assert "None yet" not in shown and "Nothing here yet." in screen.type(":as bob", ":dms")


def test_wait_moves_the_clock(screen: Screen, clock: MovableClock) -> None:
    before = clock.now()
    shown = screen.type(":wait 2h")
    assert clock.now() - before == timedelta(hours=2) and "⏩ 2h later: it is now" in shown
    assert "“soon” is not a duration" in screen.type(":wait soon")
    assert clock.now() - before == timedelta(hours=2)


def test_wait_without_a_clock_says_so(driver: SlackDriver, slack: SlackStandIn, deliver) -> None:
    out = io.StringIO()
    console = Console(driver=driver, slack=slack, deliver=deliver, clock=None, user="bob", channel="#general", out=out)
    console.run([":wait 1h"])
    assert ":wait is not available" in out.getvalue()
    assert console.prompt == "bob in #general> "


def test_people_and_channels(screen: Screen) -> None:
    shown = screen.type(":who")
    assert "alice    Alice Agent" in shown and "← you" in shown.split("\n")[0] and "carol" in shown
    shown = screen.type(":channels")
    assert "#support-queue   C0QUEUE01    3 members · you're a member · ← here" in shown and "#general" in shown
    assert "Now in #general." in screen.type(":go #general")
    assert "No channel “#nowhere”" in screen.type(":go #nowhere")
    assert "Now in DM." in screen.type(":go dm")
    assert "No one called “zed” here" in screen.type(":as zed")


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (":frobnicate", "Unknown command :frobnicate. :help lists them all."),
        (":raed", "Did you mean :read?"),
        ("hello there", "Start with / for a slash command"),
        (":click 7 claim", "“7” is not a message number: #support-queue has messages 1-1"),
        (":click one claim", "“one” is not a message number"),
        (
            ":click 1 explode",
            "Message 1 has no button “explode”; it has 1 [Claim], 2 [Change status ▾], 3 [Add note], 4 [Escalate], "
            "5 [Link to incident].",
        ),
        (":click 1 status sideways", "Pick an option of [Change status ▾]"),
        (":thread", "Which message? Give its number"),
        (":react 0", "“0” is not a message number"),
        (':click 1 "unbalanced', 'Message 1 has no button “"unbalanced”'),
        ("/ticket status T-99 open", "T-99"),
        ("/nosuchcommand", "Liaison answered /nosuchcommand with HTTP 404."),
    ],
)
def test_mistakes_get_a_friendly_line_and_no_traceback(screen: Screen, line: str, says: str) -> None:
    open_ticket(screen)
    shown = screen.type(line)
    assert says in shown and "Traceback" not in shown


def test_help_quit_and_interactive_prompts(screen: Screen, slack: SlackStandIn) -> None:
    assert ":click <n> <button> [option]" in screen.type(":help")
    shown = screen.type(":quit", ":post never posted")
    assert "Posted" not in shown and slack.messages(QUEUE) == []
    screen.type("/ticket new", ":quit")  # :quit leaves from the middle of a form too; the form waits where it was
    assert screen.console.prompt == "  Customer: " and slack.view_stack(ALICE)
    assert "Form closed without submitting." in screen.type("cancel")
    screen.console.run(["/ticket new", "cancel"], interactive=True)
    shown = screen.type()
    assert shown.startswith("alice in #support-queue> ┌─ New ticket ─┐") and "  Customer: " in shown
    assert shown.endswith("alice in #support-queue> \n")
