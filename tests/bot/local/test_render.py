"""The console's pure renderers: mrkdwn, a ticket card, the new-ticket modal, the Home tab, and reading answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.local import render, render_text
from bot.local.render import Form
from bot.local.render_text import Lookup, Style
from bot.messages.home import home_view
from bot.messages.modals import Prefill, new_ticket_modal

NAMES = Lookup(
    user={"U1": "alice", "U0LIAISON": "liaison"}.get,
    channel={"C1": "support-queue"}.get,
    author={"U0LIAISON": "Liaison"}.get,
)
CARD = [
    {"type": "header", "text": {"type": "plain_text", "text": "T-1 · Checkout fails", "emoji": False}},
    {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": "*Customer*\nAcme &amp; Co (standard)"},
            {"type": "mrkdwn", "text": "*Priority*\n:large_orange_circle: P2 · High"},
            {"type": "mrkdwn", "text": "*Assignee*\n<@U1>"},
        ],
    },
    {"type": "section", "text": {"type": "mrkdwn", "text": "Payments fail since 9am &lt;b&gt;"}},
    {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "Opened by <@U1> via command · <!date^1700000000^{date}|2023-11-14>"}],
    },
    {
        "type": "actions",
        "block_id": "card:T-1",
        "elements": [
            {"type": "button", "action_id": "ticket_claim", "text": {"type": "plain_text", "text": "Claim"}},
            {
                "type": "static_select",
                "action_id": "ticket_status",
                "placeholder": {"type": "plain_text", "text": "Change status"},
                "options": [
                    {"value": "new", "text": {"type": "plain_text", "text": "New"}},
                    {"value": "solved", "text": {"type": "plain_text", "text": "Solved"}},
                    {"value": "on-hold", "text": {"type": "plain_text", "text": "On hold"}},
                ],
                "initial_option": {"value": "new", "text": {"type": "plain_text", "text": "New"}},
            },
            {"type": "button", "action_id": "ticket_note", "text": {"type": "plain_text", "text": "Add note"}},
        ],
    },
]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<@U1> took it", "@alice took it"),
        ("<@U9|bob> and <@U8>", "@bob and @U8"),
        ("see <#C1> or <#C2|general>", "see #support-queue or #general"),
        ("due <!date^1700000000^{date_short} at {time}|2023-11-14 22:13 UTC>", "due 2023-11-14 22:13 UTC"),
        (
            "<https://example.com/x|the docs> and <https://example.com>",
            "the docs (https://example.com/x) and https://example.com",
        ),
        ("<mailto:a@b.example|write us>", "write us (a@b.example)"),
        ("&lt;@U1&gt; &amp; 1 &gt; 0", "<@U1> & 1 > 0"),
        ("<!here> ping <!subteam^S1|@support>", "@here ping @support"),
        ("*T-1* is _urgent_ but ticket_claim stays", "T-1 is urgent but ticket_claim stays"),
        (":ticket: opened, :no_such_emoji: kept", "🎫 opened, :no_such_emoji: kept"),
        ("/ticket <command> stays", "/ticket <command> stays"),
        ("note:\n>quoted line", "note:\n│ quoted line"),
    ],
)
def test_mrkdwn_becomes_plain_terminal_text(text: str, shown: str) -> None:
    assert render_text.mrkdwn(text, NAMES) == shown


def test_styles_emphasis_only_for_a_terminal() -> None:
    assert render_text.mrkdwn("*bold*", style=Style(color=True)) == "\033[1mbold\033[0m"
    assert Style().dim("x") == "x"


def test_a_card_reads_as_header_fields_text_context_and_controls() -> None:
    lines = render.render_blocks(CARD, NAMES)
    assert lines == [
        "== T-1 · Checkout fails ==",
        "Customer: Acme & Co (standard)",
        "Priority: 🟠 P2 · High",
        "Assignee: @alice",
        "Payments fail since 9am <b>",
        "› Opened by @alice via command · 2023-11-14",
        "[Claim] [Change status ▾] [Add note]",
    ]


def test_a_message_has_a_numbered_heading_edited_marker_and_reply_hint() -> None:
    message = {"ts": "1.0", "user": "U0LIAISON", "text": "T-1", "blocks": CARD[:1], "edited": 1, "reply_count": 2}
    assert render.render_message(message, NAMES, number=3, when="Tue 14:02") == [
        "[3] Liaison · Tue 14:02 (edited)",
        "    == T-1 · Checkout fails ==",
        "    (2 replies — :thread 3)",
    ]
    person = {"ts": "2.0", "user": "U1", "text": "Checkout is down", "blocks": [{"type": "rich_text", "elements": []}]}
    assert render.render_message(person, NAMES)[1:] == ["    Checkout is down"]
    assert render.summary({"text": "line one\n>line two"}, NAMES) == "line one  │ line two"
    assert render.summary({"text": "x" * 300}, limit=10) == "xxxxxxxxx…"


def test_controls_are_found_by_number_label_or_action_id_and_options_by_value_or_label() -> None:
    elements = render.controls(CARD)
    assert [render.control_label(e) for e in elements] == ["Claim", "Change status", "Add note"]
    assert render.find_control(elements, "2")["action_id"] == "ticket_status"
    assert render.find_control(elements, "CLAIM")["action_id"] == "ticket_claim"
    assert render.find_control(elements, "status")["action_id"] == "ticket_status"
    assert render.find_control(elements, "9") is None
    assert render.pick_control(elements, ["add", "note"])[0]["action_id"] == "ticket_note"
    element, option = render.pick_control(elements, ["status", "on", "hold"])
    assert element["action_id"] == "ticket_status" and option == "on hold"
    options = render.options_of(elements[1])
    assert [render.pick_option(options, typed) for typed in ("2", "Solved", "on hold", "on-hold", "zzz", "9")] == [
        "solved",
        "solved",
        "on-hold",
        "on-hold",
        None,
        None,
    ]


def test_the_new_ticket_modal_shows_numbered_fields_with_values_and_options() -> None:
    view = new_ticket_modal(Prefill(subject="Checkout fails"), [])
    text = "\n".join(render.render_view(view))
    assert text.startswith("┌─ New ticket ─┐")
    assert "1. Customer" in text and "3. Subject = “Checkout fails”" in text
    assert "4. Description (optional, several lines)" in text
    assert "1) P1 · Urgent  2) P2 · High  3) P3 · Normal ✓  4) P4 · Low" in text
    assert text.endswith("[Open ticket] [Cancel]")


def test_a_form_asks_field_by_field_and_collects_answers() -> None:
    form = Form.of(new_ticket_modal(Prefill(subject="Checkout fails"), []) | {"id": "V1", "hash": "h"})
    assert form.prompt == "  Customer: "
    assert form.take("Acme") is None
    assert form.prompt == "  Support tier (new customers) (optional) (1-2) [Standard]: "
    assert form.take("") is None  # Enter keeps the initial option
    assert form.prompt == "  Subject [Checkout fails]: "
    assert form.take("") is None
    assert form.take(r"Line one\nline two") is None
    with pytest.raises(ValueError, match="not one of the options"):
        form.take("P9")
    assert form.take("2") is None
    assert form.prompt == "  Submit? [Y/n/cancel] "
    assert form.answers == {
        "new_customer": {"value": "Acme"},
        "description": {"value": "Line one\nline two"},
        "priority": {"value": "P2"},
    }
    assert form.refused({"new_customer": "Pick a customer."}) == ["  1. Customer: ⚠ Pick a customer."]
    assert form.prompt == "  Customer [Acme]: "
    assert form.take("cancel") == "cancel"


def test_submit_question_takes_yes_no_and_nothing_else() -> None:
    form = Form.of({"id": "V1", "hash": "h", "blocks": []})
    with pytest.raises(ValueError, match="Answer y"):
        form.take("maybe")
    assert form.take("") == "submit" and form.take("Y") == "submit" and form.take("n") == "again"


def test_the_home_tab_numbers_its_buttons() -> None:
    view = home_view([], [], is_agent=True)
    text = "\n".join(render.render_view(view, numbered=True))
    assert "== Your tickets ==" in text and "Nothing open on your plate." in text
    assert "== Most urgent in the queue ==" in text and "The queue is empty." in text
    row = {"type": "section", "text": {"type": "mrkdwn", "text": "*T-2* Fire"}, "accessory": CARD[-1]["elements"][0]}
    other = row | {"accessory": dict(row["accessory"])}  # Slack's JSON never shares an element between rows
    assert render.render_blocks([row, other], numbered=True) == ["T-2 Fire  [1 Claim]", "T-2 Fire  [2 Claim]"]


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90s", timedelta(seconds=90)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(minutes=90)),
        ("1d", timedelta(1)),
    ],
)
def test_durations(text: str, delta: timedelta) -> None:
    assert render.parse_duration(text) == delta


@pytest.mark.parametrize("text", ["", "2", "2x", "h2", "1h 30", "-1h"])
def test_not_durations(text: str) -> None:
    assert render.parse_duration(text) is None
