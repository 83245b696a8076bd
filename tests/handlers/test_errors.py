"""The one error handler: a calm answer of the kind Slack expects for each error and request."""

from __future__ import annotations

import json
import logging

import pytest

from bot.errors import BadPayload, PermissionDenied
from bot.gateway import SlackRejected
from handlers.errors import on_error

SUBMISSION = {"type": "view_submission", "view": {"blocks": [{"type": "input", "block_id": "subject"}]}}


class Respond:
    def __init__(self, error: Exception | None = None) -> None:
        self.said: list[str] = []
        self.error = error

    def __call__(self, text: str, **_: object) -> None:
        if self.error:
            raise self.error
        self.said.append(text)


def test_a_crashed_modal_submission_keeps_the_modal_open_with_an_error_id(caplog: pytest.LogCaptureFixture) -> None:
    response = on_error(RuntimeError("boom"), SUBMISSION, None)
    answer = json.loads(response.body)
    assert response.status == 200 and answer["response_action"] == "errors"
    assert "error id" in answer["errors"]["subject"]
    assert caplog.records[-1].levelno == logging.ERROR and caplog.records[-1].exc_info


def test_a_submission_without_inputs_is_closed() -> None:
    response = on_error(RuntimeError("boom"), {"type": "view_submission", "view": {"blocks": []}}, None)
    assert (response.status, response.body) == (200, "")


def test_slack_errors_are_warnings_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    respond = Respond()
    body = {"type": "block_actions", "response_url": "https://hooks.example/1"}
    response = on_error(SlackRejected("views.publish", "user_not_found"), body, respond)  # type: ignore[arg-type]
    assert response.status == 200 and "user_not_found" in respond.said[0]
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and not record.exc_info and "user_not_found" in record.getMessage()


def test_user_facing_errors_are_shown_as_they_are() -> None:
    response = on_error(PermissionDenied("Only agents."), {"command": "/ticket"}, None)
    assert json.loads(response.body) == {"response_type": "ephemeral", "text": "Only agents."}
    response = on_error(BadPayload("value is a list"), SUBMISSION, None)
    assert "could not read" in json.loads(response.body)["errors"]["subject"]


def test_an_unreachable_response_url_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    body = {"type": "block_actions", "response_url": "http://127.0.0.1:9/x"}
    response = on_error(PermissionDenied("No."), body, Respond(OSError("refused")))  # type: ignore[arg-type]
    assert response.status == 200 and "refused" in caplog.records[-1].getMessage()
