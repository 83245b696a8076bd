"""The payload readers: every field a listener uses is read with its type checked, or refused as BadPayload."""

from __future__ import annotations

import json

import pytest

from bot.errors import BadPayload, UsageError
from handlers import payloads


def click_body(action: dict, **extra: object) -> dict:
    return {"type": "block_actions", "user": {"id": "U0ALICE01"}, "trigger_id": "1.2.abc", "actions": [action]} | extra


def test_a_click_is_read_with_its_request_key() -> None:
    click = payloads.click(click_body({"action_id": "ticket_claim", "value": "T-3", "action_ts": "17.5"}))
    assert (click.user, click.action_id, click.value, click.selected) == ("U0ALICE01", "ticket_claim", "T-3", None)
    assert click.key == "action:1.2.abc:17.5" and not click.in_view and click.response_url is None


@pytest.mark.parametrize(
    "body",
    [
        click_body({"action_id": "ticket_claim", "value": 12}),
        click_body({"action_id": "ticket_status", "selected_option": {"value": None}, "block_id": 5}),
        click_body({"value": "T-1"}),
        {"type": "block_actions", "user": {"id": "U0ALICE01"}, "actions": []},
        {"type": "block_actions", "user": "U0ALICE01", "actions": [{"action_id": "x"}]},
        {"type": "block_actions", "user": {"id": "not a user"}, "actions": [{"action_id": "x"}]},
    ],
)
def test_malformed_clicks_are_bad_payloads(body: dict) -> None:
    with pytest.raises(BadPayload):
        payloads.click(body)


@pytest.mark.parametrize("value", [None, "0x1:30m", "1:later", "9" * 20 + ":2h", "1"])
def test_snooze_values_are_checked(value: str | None) -> None:
    with pytest.raises(BadPayload):
        payloads.snooze_value(value)
    assert payloads.snooze_value("42:tomorrow") == (42, "tomorrow")


def test_ticket_keys_from_buttons_must_be_keys() -> None:
    assert payloads.ticket_key("t12") == "T-12"
    for value in (None, 12, ["T-1"], "T-1 extra"):
        with pytest.raises(UsageError):
            payloads.ticket_key(value)


def test_text_is_cleaned_of_what_no_database_stores() -> None:
    assert payloads.text({"t": "a\x00b\ud800c"}, "t") == "ab?c"


def test_long_request_keys_are_hashed_to_fit() -> None:
    key = payloads.request_key("action", "x" * 500)
    assert key is not None and len(key) <= payloads.KEY_MAX and key == payloads.request_key("action", "x" * 500)
    assert payloads.request_key("command", None) is None


def view(
    values: dict, metadata: object = '{"source": "command", "channel": null, "ts": null, "permalink": null}'
) -> dict:
    state = {block: {"value": element} for block, element in values.items()}
    return {"id": "V0FORM001", "private_metadata": metadata, "state": {"values": state}}


SUBJECT = {"subject": {"type": "plain_text_input", "value": " Printer  on fire "}}


def test_a_new_ticket_form_gives_a_draft_keyed_by_its_view() -> None:
    customer = {"customer": {"type": "static_select", "selected_option": {"value": "7"}}}
    draft, errors = payloads.new_ticket_form(view(SUBJECT | customer))
    assert errors == {} and draft is not None
    assert (draft.subject, draft.customer_id, draft.source_ref, draft.priority) == (
        "Printer on fire",
        7,
        "view:V0FORM001",
        "P3",
    )


@pytest.mark.parametrize(
    "metadata",
    [
        "{not json",
        "[1]",
        json.dumps({"source": "reaction", "channel": "C0GENERAL1", "ts": 12}),
        json.dumps({"source": "x" * 40}),
        json.dumps({"ts": "1700000000.000100", "channel": "x" * 300}),
        json.dumps({"permalink": "https://a.example|<!channel>"}),
    ],
)
def test_new_ticket_metadata_that_liaison_never_wrote_is_refused(metadata: str) -> None:
    new_customer = {"new_customer": {"type": "plain_text_input", "value": "Acme"}}
    with pytest.raises(BadPayload):
        payloads.new_ticket_form(view(SUBJECT | new_customer, metadata))


@pytest.mark.parametrize("option", ["0x1", "9" * 40, "-1"])
def test_a_customer_option_must_be_a_row_id(option: str) -> None:
    customer = {"customer": {"type": "static_select", "selected_option": {"value": option}}}
    with pytest.raises(BadPayload):
        payloads.new_ticket_form(view(SUBJECT | customer))


def test_form_errors_name_their_blocks() -> None:
    draft, errors = payloads.new_ticket_form(view({"customer": {"type": "static_select", "selected_option": None}}))
    assert draft is None and set(errors) == {"subject", "new_customer"}


def test_the_note_form_reads_its_ticket_from_metadata() -> None:
    note = {"note": {"type": "plain_text_input", "value": " hello "}}
    assert payloads.note_form(view(note, '{"key": "T-4"}')) == ("T-4", "hello", {})
    with pytest.raises(BadPayload):
        payloads.note_form(view(note, "T-4"))
    with pytest.raises(BadPayload):
        payloads.note_form(view(note, '{"key": 4}'))
    with pytest.raises(UsageError):
        payloads.note_form(view(note, '{"key": "four"}'))


def test_the_first_input_block_is_found_in_any_shape_without_raising() -> None:
    body = {"view": {"blocks": [{"type": "section"}, {"type": "input", "block_id": "subject"}]}}
    assert payloads.first_input_block(body) == "subject"
    for broken in (None, {"view": "x"}, {"view": {"blocks": "x"}}, {"view": {"blocks": [1, {"type": "input"}]}}):
        assert payloads.first_input_block(broken) is None
