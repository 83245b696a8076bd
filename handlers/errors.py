"""The one error handler: every error a listener raises gets a calm answer of the kind Slack expects.

- A person's mistake or a refusal (`UserFacingError`, including a payload that could not be read) is shown as is.
- A Slack Web API error (`SlackError`: a user Slack no longer knows, a message that is gone) is logged as a warning
  without a traceback and answered plainly: it is Slack's state, not a bug of ours.
- Anything else is a bug: a friendly message with an error id, and the traceback logged under that id.

A modal submission is never answered with a 500 (Slack would show a connection error and the person could not
tell whether the ticket was opened): the answer keeps the modal open with the message under its first input, so
what the person typed is still there to submit again. A modal with no input is closed.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.context.respond import Respond

from bot.errors import BadPayload, UserFacingError
from bot.gateway import SlackError
from handlers.payloads import first_input_block

log = logging.getLogger("liaison.errors")


def on_error(error: Exception, body: dict[str, Any], respond: Respond | None) -> BoltResponse:
    kind = _kind(body)
    if isinstance(error, BadPayload):
        log.warning("could not read a %s request: %s", kind, error.what)
        text = str(error)
    elif isinstance(error, UserFacingError):
        text = str(error)
    elif isinstance(error, SlackError):
        log.warning("Slack refused %s while handling a %s request: %s", error.method, kind, error.error)
        text = f"Slack could not do that just now ({error.error}). Nothing else was affected; please try again."
    else:
        error_id = uuid.uuid4().hex[:8]
        log.error("error %s handling a %s request", error_id, kind, exc_info=error)
        text = f":warning: Something went wrong on our side (error id `{error_id}`). Please try again."
    return _answer(body, respond, text)


def _kind(body: object) -> str:
    if not isinstance(body, dict):
        return "malformed"
    kind = body.get("command") or body.get("type")
    return kind if isinstance(kind, str) else "malformed"


def _answer(body: dict[str, Any], respond: Respond | None, text: str) -> BoltResponse:
    if isinstance(body, dict) and body.get("command"):
        return _json({"response_type": "ephemeral", "text": text})
    if isinstance(body, dict) and body.get("type") == "view_submission":
        block_id = first_input_block(body)
        return _json({"response_action": "errors", "errors": {block_id: text}}) if block_id else _json({})
    if respond is not None and isinstance(body, dict) and body.get("response_url"):
        try:
            respond(text=text, response_type="ephemeral", replace_original=False)
        except (OSError, ValueError) as failure:  # an unreachable or malformed response_url: nothing more to say
            log.warning("could not answer on the response_url: %s", failure)
    return BoltResponse(status=200, body="")


def _json(answer: dict[str, Any]) -> BoltResponse:
    body = json.dumps(answer) if answer else ""
    return BoltResponse(status=200, body=body, headers={"content-type": "application/json"})
