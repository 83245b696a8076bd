"""The Slack boundary: the few Web API calls Liaison makes, with Slack's failures turned into three kinds of error."""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.request
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

# Errors that will not go away by trying again; the outbox parks a message that hits one.
PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "cant_update_message",
        "channel_not_found",
        "invalid_arguments",
        "invalid_auth",
        "invalid_blocks",
        "is_archived",
        "message_not_found",
        "missing_scope",
        "msg_too_long",
        "no_text",
        "not_authed",
        "not_in_channel",
        "thread_not_found",
        "token_revoked",
        "user_not_found",
        "user_not_in_channel",
        "method_not_supported_for_channel_type",
    }
)


METADATA_EVENT, METADATA_KEY = "liaison_outbox", "dedupe_key"
UPLOAD_POST = "upload_url"  # the method a SlackError names when POSTing a file's bytes to its upload_url failed
# Errors Slack documents as its own passing trouble: retried like a 5xx, never parked.
TRANSIENT_ERRORS = frozenset({"ratelimited", "service_unavailable", "internal_error", "fatal_error", "request_timeout"})


class SlackError(Exception):
    """A Web API call failed; `error` is Slack's error code (or the HTTP status).

    `permanent`: retrying cannot help. `transient`: Slack (or the way to it) is in trouble; try again soon, the
    message is fine. Neither: an error we do not know; worth a few more tries before the message is set aside.
    """

    permanent = False
    transient = False

    def __init__(self, method: str, error: str, retry_after: float | None = None) -> None:
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error
        self.retry_after = retry_after


class SlackRejected(SlackError):
    """Slack refused the call for a reason that retrying cannot fix."""

    permanent = True


class SlackUnavailable(SlackError):
    """Rate limited, a 5xx, a connection failure or a transient Slack error: try again later."""

    transient = True


class SlackUnknownError(SlackError):
    """An error code Liaison does not know: retried a bounded number of times, then the message is parked."""


class SlackGateway:
    """Wraps one WebClient; services, jobs and the outbox call Slack only through this."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def call(self, method: str, **args: Any) -> dict[str, Any]:
        try:
            response = (
                self.client.api_call(method, json=args)
                if _json_method(method)
                else self.client.api_call(method, params=args)
            )
        except SlackApiError as exc:
            raise _classify(method, exc) from exc
        except (OSError, TimeoutError, http.client.HTTPException) as exc:  # refused, reset, DNS, timeouts, cut short
            raise SlackUnavailable(method, f"connection: {type(exc).__name__}: {exc}") from exc
        return dict(response.data) if isinstance(response.data, dict) else {}

    # The calls Liaison makes, named for what they do.
    def post_message(self, channel: str, text: str, **kw: Any) -> dict[str, Any]:
        return self.call("chat.postMessage", channel=channel, text=text, **kw)

    def update_message(self, channel: str, ts: str, text: str, **kw: Any) -> dict[str, Any]:
        return self.call("chat.update", channel=channel, ts=ts, text=text, **kw)

    def post_ephemeral(self, channel: str, user: str, text: str, **kw: Any) -> dict[str, Any]:
        return self.call("chat.postEphemeral", channel=channel, user=user, text=text, **kw)

    def permalink(self, channel: str, message_ts: str) -> str | None:
        try:
            return self.call("chat.getPermalink", channel=channel, message_ts=message_ts).get("permalink")
        except SlackError as error:
            log.warning("no permalink for %s/%s: %s", channel, message_ts, error.error)
            return None

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One message by its ts, whether top-level or a thread reply."""
        page = self.call("conversations.history", channel=channel, latest=ts, inclusive=True, limit=1)
        found = [m for m in page.get("messages", []) if m.get("ts") == ts]
        if not found:
            page = self.call("conversations.replies", channel=channel, ts=ts, inclusive=True, limit=1)
            found = [m for m in page.get("messages", []) if m.get("ts") == ts]
        return found[0] if found else None

    def is_private(self, channel: str) -> bool:
        """Whether a conversation is a private channel, a DM or a group DM (conversations.info)."""
        try:
            info = self.call("conversations.info", channel=channel).get("channel") or {}
        except SlackRejected as error:
            # DMs and group DMs need scopes Liaison does not ask for (im:read, mpim:read): unseen means private.
            if error.error == "missing_scope":
                return True
            raise
        return any(info.get(flag) for flag in ("is_private", "is_im", "is_mpim"))

    def join(self, channel: str) -> None:
        self.call("conversations.join", channel=channel)

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        return self.call("views.open", trigger_id=trigger_id, view=view)

    def push_view(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        return self.call("views.push", trigger_id=trigger_id, view=view)

    def publish_home(self, user_id: str, view: dict[str, Any]) -> dict[str, Any]:
        return self.call("views.publish", user_id=user_id, view=view)

    def usergroup_members(self, usergroup: str) -> list[str]:
        return list(self.call("usergroups.users.list", usergroup=usergroup).get("users", []))

    def channel_members(self, channel: str) -> list[str]:
        members: list[str] = []
        cursor = None
        while True:
            page = self.call(
                "conversations.members", channel=channel, limit=1000, **({"cursor": cursor} if cursor else {})
            )
            members.extend(page.get("members", []))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return members

    def user_name(self, user_id: str) -> str:
        user = self.call("users.info", user=user_id).get("user", {})
        profile = user.get("profile") or {}
        return profile.get("display_name") or user.get("real_name") or user.get("name") or user_id

    def open_dm(self, user_id: str) -> str:
        """The id of the bot's DM with a person (a message posted to a user id lands there)."""
        return str(self.call("conversations.open", users=user_id)["channel"]["id"])

    def upload_file(
        self,
        channel: str,
        *,
        filename: str,
        content: bytes,
        title: str,
        thread_ts: str | None = None,
        initial_comment: str | None = None,
    ) -> dict[str, Any]:
        """Upload content and share it into channel (or the thread under thread_ts) by Slack's three-step flow;
        returns files.completeUploadExternal's answer, whose "files" is [{"id", "title"}]."""
        # Not files_upload_v2: it raises SlackRequestError for a failed POST; each step here fails as a SlackError.
        ticket = self.call("files.getUploadURLExternal", filename=filename, length=len(content))
        if not ticket.get("upload_url") or not ticket.get("file_id"):
            raise SlackUnknownError("files.getUploadURLExternal", "no_upload_url")
        self._post_upload(str(ticket["upload_url"]), content)
        optional = {"thread_ts": thread_ts, "initial_comment": initial_comment}
        return self.call(
            "files.completeUploadExternal",
            files=json.dumps([{"id": ticket["file_id"], "title": title}]),
            channel_id=channel,
            **{k: v for k, v in optional.items() if v is not None},
        )

    def _post_upload(self, url: str, content: bytes) -> None:
        """POST the bytes to an upload_url over the client's proxy and TLS settings, as slack_sdk itself would."""
        request = urllib.request.Request(
            url, data=content, method="POST", headers={"Content-Type": "application/octet-stream"}
        )
        proxy, ssl, timeout = self.client.proxy, self.client.ssl, self.client.timeout
        try:
            if proxy:
                handlers = (urllib.request.ProxyHandler({"http": proxy, "https": proxy}),)
                opener = urllib.request.build_opener(*handlers, urllib.request.HTTPSHandler(context=ssl))
                answer = opener.open(request, timeout=timeout)
            else:
                answer = urllib.request.urlopen(request, context=ssl, timeout=timeout)
            with answer:
                answer.read()
        except urllib.error.HTTPError as exc:
            with exc:
                status, retry_after = exc.code, exc.headers.get("Retry-After")
            if status == 429:
                raise SlackUnavailable(UPLOAD_POST, "ratelimited", retry_after=float(retry_after or 1)) from exc
            if status >= 500:
                raise SlackUnavailable(UPLOAD_POST, f"http_{status}") from exc
            # A stale ticket (404) or refused bytes: a few more tries, each with a fresh ticket, then set aside.
            raise SlackUnknownError(UPLOAD_POST, f"http_{status}") from exc
        except (OSError, TimeoutError, http.client.HTTPException) as exc:  # refused, reset, DNS, timeouts, cut short
            raise SlackUnavailable(UPLOAD_POST, f"connection: {type(exc).__name__}: {exc}") from exc

    def find_keyed(
        self, channel: str, key: str, *, thread_ts: str | None = None, oldest: float = 0, max_pages: int = 10
    ) -> dict[str, Any] | None:
        """A message of ours carrying `key` in its metadata, posted in the channel (or thread) since `oldest`."""
        method, args = ("conversations.replies", {"ts": thread_ts}) if thread_ts else ("conversations.history", {})
        cursor = None
        for _ in range(max_pages):
            page = self.call(
                method,
                channel=channel,
                oldest=f"{oldest:.6f}",
                include_all_metadata=True,
                limit=200,
                **args,
                **({"cursor": cursor} if cursor else {}),
            )
            for message in page.get("messages", []):
                if ((message.get("metadata") or {}).get("event_payload") or {}).get(METADATA_KEY) == key:
                    return message
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None


def keyed_metadata(key: str) -> dict[str, Any]:
    """Slack message metadata naming the outbox row a message came from, so a re-send can look for it first."""
    return {"event_type": METADATA_EVENT, "event_payload": {METADATA_KEY: key}}


def _json_method(method: str) -> bool:
    # Methods that carry blocks or views go as JSON so nested structures need no re-encoding.
    return method.startswith(("chat.", "views."))


def _classify(method: str, exc: SlackApiError) -> SlackError:
    response = exc.response
    status = response.status_code
    if status == 429:
        retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after") or "1"
        return SlackUnavailable(method, "ratelimited", retry_after=float(retry_after))
    if status >= 500:
        return SlackUnavailable(method, f"http_{status}")
    error = (response.data or {}).get("error", "unknown_error") if isinstance(response.data, dict) else f"http_{status}"
    if error in TRANSIENT_ERRORS:
        return SlackUnavailable(method, error, retry_after=1.0 if error == "ratelimited" else None)
    if error in PERMANENT_ERRORS or error.startswith("invalid_"):
        return SlackRejected(method, error)
    return SlackUnknownError(method, str(error))
