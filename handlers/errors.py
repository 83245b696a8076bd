"""The one error handler: unexpected errors become a friendly message with an error id; the traceback is logged."""

from __future__ import annotations

import json
import logging
import uuid

from slack_bolt import BoltResponse
from slack_bolt.context.respond import Respond

log = logging.getLogger("liaison.errors")


def on_error(error: Exception, body: dict, respond: Respond | None) -> BoltResponse | None:
    error_id = uuid.uuid4().hex[:8]
    log.error("error %s handling %s", error_id, body.get("type") or body.get("command"), exc_info=error)
    text = f":warning: Something went wrong on our side (error id `{error_id}`). Nothing was changed; please try again."
    if body.get("command"):
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": text}),
            headers={"content-type": "application/json"},
        )
    if body.get("type") == "view_submission":
        return None  # a 500 keeps the modal open with what the person typed, and Slack says it failed
    if respond is not None and body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
    return BoltResponse(status=200, body="")
