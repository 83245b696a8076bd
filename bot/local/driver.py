"""Sends the app signed HTTP requests exactly as Slack does: slash commands, interactivity and Events API."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import http.client
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from bot.local.driver_payloads import _INITIAL_KEYS as _INITIAL_KEYS
from bot.local.driver_payloads import _STATE_KEYS as _STATE_KEYS
from bot.local.driver_payloads import _option as _option
from bot.local.driver_payloads import find_element, state_value
from bot.local.standin import SlackStandIn
from bot.local.standin_methods import interactive_elements

VERIFICATION_TOKEN = "liaison-local-verification-token"  # the deprecated token field Slack still sends
TEAM_DOMAIN = "liaison-local"
FORM = "application/x-www-form-urlencoded"


class Headers(dict[str, str]):
    """Response headers with case-insensitive lookup (keys are stored lower-cased)."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


@dataclass
class DriverResponse:
    """What the app answered to one request (view_error: why Slack would refuse a view_submission answer)."""

    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float = 0.0
    view_error: str | None = field(default=None)

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty."""
        return json.loads(self.body) if self.body.strip() else None

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", "replace")


class SlackDriver:
    """Plays Slack towards the app under test: builds, signs and posts requests, mirroring effects in the stand-in."""

    def __init__(
        self,
        *,
        events_url: str,
        signing_secret: str,
        standin: SlackStandIn,
        team_id: str | None = None,
        api_app_id: str = "A0LIAISON",
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
    ) -> None:
        self.events_url, self.signing_secret, self.standin = events_url, signing_secret, standin
        self.team_id = team_id or standin.team_id
        self.api_app_id, self.clock, self.timeout = api_app_id, clock, timeout
        self._sent_events: dict[str, bytes] = {}

    # ----- transport

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """X-Slack-Request-Timestamp and X-Slack-Signature headers for body."""
        ts = int(self.clock()) if timestamp is None else timestamp
        base = f"v0:{ts}:".encode() + body
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}

    def post_raw(self, body: bytes, headers: dict[str, str]) -> DriverResponse:
        """POST body with exactly these headers; any status (401, 404, ...) is returned, not raised."""
        url = urlsplit(self.events_url)
        connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        connection = connection_class(url.netloc, timeout=self.timeout)
        started = time.monotonic()
        try:
            path = (url.path or "/") + (f"?{url.query}" if url.query else "")
            connection.request("POST", path, body=body, headers={"User-Agent": "Slackbot 1.0", **headers})
            response = connection.getresponse()
            data = response.read()
            received = Headers({k.lower(): v for k, v in response.getheaders()})
            return DriverResponse(response.status, received, data, time.monotonic() - started)
        finally:
            connection.close()

    def _post(self, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> DriverResponse:
        return self.post_raw(body, {"Content-Type": content_type, **self.sign(body), **(extra or {})})

    def _interactive(self, payload: dict[str, Any]) -> DriverResponse:
        return self._post(urlencode({"payload": json.dumps(payload)}).encode(), FORM)

    # ----- payload pieces

    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.standin.user(user_id)
        if user is None:
            raise AssertionError(f"unknown user {user_id!r}: add it with standin.add_user first")
        return {"id": user_id, "username": user["name"], "name": user["name"], "team_id": self.team_id}

    def _common(self, kind: str, user_id: str) -> dict[str, Any]:
        return {
            "type": kind,
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": VERIFICATION_TOKEN,
            "team": {"id": self.team_id, "domain": TEAM_DOMAIN},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _channel(self, channel_id: str) -> dict[str, str]:
        channel = self.standin.channel(channel_id)
        if channel is None:
            raise AssertionError(f"unknown channel {channel_id!r}")
        return {"id": channel_id, "name": channel.get("name") or "directmessage"}

    def _action_ts(self) -> str:
        return f"{self.clock():.6f}"

    def _view(self, user_id: str, view_id: str | None) -> dict[str, Any]:
        view = self.standin.find_view(view_id) if view_id else (self.standin.view_stack(user_id) or [None])[-1]
        if view is None:
            raise AssertionError(f"no open view {view_id or ''} for {user_id}")
        return view

    # ----- slash commands and interactivity

    def command(
        self, user_id: str, text: str, *, command: str = "/ticket", channel_id: str | None = None
    ) -> DriverResponse:
        """Run a slash command with what the person typed (in their DM with the bot unless channel_id is given);
        Slack's encoding of the text (entities, should_escape mentions) is applied here."""
        channel = self._channel(channel_id or self.standin.dm_channel(user_id))
        response_url = self.standin.new_response_url(channel=channel["id"], user=user_id)
        fields = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel["id"],
            "channel_name": channel["name"],
            "user_id": user_id,
            "user_name": self._user(user_id)["name"],
            "command": command,
            "text": self.standin.encode_typed(text, command=True),
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": self.standin.issue_trigger_id(user_id),
        }
        response = self._post(urlencode(fields).encode(), FORM)
        if response.status == 200 and response.body.strip():  # Slack shows a direct answer like a response_url post
            try:
                answer = response.json()
            except ValueError:
                answer = {"text": response.text}
            if isinstance(answer, dict):
                error = self.standin.post_response(answer, channel=channel["id"], user=user_id)
                if error is not None:  # Slack would show the person an error instead of the answer
                    raise AssertionError(f"Slack would refuse the answer to {command} {text!r}: {error}")
        return response

    def submit_view(
        self, user_id: str, values: dict[str, dict[str, Any]] | None = None, *, view_id: str | None = None
    ) -> DriverResponse:
        """Submit the user's top modal (or view_id) with values {block_id: {action_id: state or shorthand}}."""
        view = self._view(user_id, view_id)
        values = values or {}
        state = copy.deepcopy(view["state"]["values"])
        for block_id, actions in values.items():
            block = next((b for b in view["blocks"] if b.get("block_id") == block_id), None)
            if block is None:
                raise AssertionError(f"view {view['callback_id']!r} has no block {block_id!r}")
            for action_id, given in actions.items():
                _, element = find_element([block], action_id)
                state.setdefault(block_id, {})[action_id] = state_value(element, given)
        for block in view["blocks"]:  # untouched inputs are sent with their initial or empty value, as Slack does
            if block.get("type") == "input" and isinstance(block.get("element"), dict):
                element = block["element"]
                entry = state.setdefault(block["block_id"], {})
                if element.get("action_id") not in entry:
                    entry[element["action_id"]] = state_value(element, default=True)
        self.standin.set_view_state(view["id"], state)
        view["state"] = {"values": state}
        payload = self._common("view_submission", user_id)
        payload.update(trigger_id=self.standin.issue_trigger_id(user_id), view=view, response_urls=[])
        response = self._interactive(payload)
        response.view_error = self.standin.apply_view_response(user_id, view["id"], response.status, response.body)
        return response

    def close_view(self, user_id: str, *, view_id: str | None = None, clear: bool = False) -> DriverResponse | None:
        """Close the top modal (clear: the whole stack); sends view_closed only if notify_on_close, else None."""
        closed = self.standin.close_view(user_id, view_id, clear=clear)
        if closed is None:
            raise AssertionError(f"no open view {view_id or ''} for {user_id}")
        if not closed.get("notify_on_close"):
            return None
        payload = self._common("view_closed", user_id)
        payload.update(view=closed, is_cleared=clear)
        return self._interactive(payload)

    def click(
        self,
        user_id: str,
        action_id: str,
        *,
        channel: str | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
        value: str | None = None,
        selected_option: str | None = None,
    ) -> DriverResponse:
        """Act on an element of a message (channel [+ message_ts]; default the newest with it) or of a view."""
        payload = self._common("block_actions", user_id)
        if channel is not None:
            message, is_ephemeral = self._message_with(user_id, channel, message_ts, action_id)
            block, element = find_element(message.get("blocks") or [], action_id)
            ts = message["ts"]
            payload["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": is_ephemeral,
            }
            payload.update(trigger_id=self.standin.issue_trigger_id(user_id), channel=self._channel(channel))
            if not is_ephemeral:  # Slack does not echo ephemeral messages back
                payload["message"] = message
            payload["state"] = {"values": {}}
            payload["response_url"] = self.standin.new_response_url(channel=channel, user=user_id, message_ts=ts)
        else:
            view = self._view(user_id, view_id)
            block, element = find_element(view["blocks"], action_id)
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload.update(trigger_id=self.standin.issue_trigger_id(user_id), view=view)
        action = {"action_id": action_id, "block_id": block["block_id"], "type": element["type"]}
        if element["type"] == "button":
            action.update({k: element[k] for k in ("text", "value", "style", "url") if k in element})
            action.update({"value": value} if value is not None else {})
        else:
            given = selected_option if selected_option is not None else value
            if given is None:
                raise AssertionError(f"pass value= or selected_option= to act on a {element['type']}")
            chosen = state_value(element, given)
            action.update({k: v for k, v in chosen.items() if k != "type"})
            if channel is None:  # the client records the choice in the view's state before telling the app
                view["state"]["values"].setdefault(block["block_id"], {})[action_id] = chosen
                self.standin.set_view_state(view["id"], view["state"]["values"])
        action["action_ts"] = self._action_ts()
        payload["actions"] = [action]
        return self._interactive(payload)

    def _message_with(
        self, user_id: str, channel: str, message_ts: str | None, action_id: str
    ) -> tuple[dict[str, Any], bool]:
        candidates = [(m, False) for m in self.standin.messages(channel)]
        candidates += [(r, False) for m, _ in list(candidates) for r in self.standin.replies(channel, m["ts"])]
        candidates += [(e, True) for e in self.standin.ephemerals(channel=channel, user=user_id)]
        candidates.sort(key=lambda c: float(c[0]["ts"]), reverse=True)
        for message, is_ephemeral in candidates:
            ids = [e.get("action_id") for b in message.get("blocks") or [] for e in interactive_elements(b)]
            if message["ts"] == message_ts or (message_ts is None and action_id in ids):
                return (message if is_ephemeral else self.standin.slack_message(channel, message["ts"])), is_ephemeral
        raise AssertionError(f"no message in {channel} {message_ts or ''} with an element {action_id!r}")

    def message_shortcut(self, user_id: str, callback_id: str, channel: str, message_ts: str) -> DriverResponse:
        """Run a message shortcut on a message."""
        message = self.standin.slack_message(channel, message_ts)
        payload = self._common("message_action", user_id)
        del payload["api_app_id"]  # shortcut payloads carry no api_app_id
        payload["user"] = {"id": user_id, "name": payload["user"]["name"]}
        payload.update(action_ts=self._action_ts(), channel=self._channel(channel), callback_id=callback_id)
        payload.update(trigger_id=self.standin.issue_trigger_id(user_id), message_ts=message_ts, message=message)
        payload["response_url"] = self.standin.new_response_url(channel=channel, user=user_id)
        return self._interactive(payload)

    def global_shortcut(self, user_id: str, callback_id: str) -> DriverResponse:
        """Run a global shortcut."""
        payload = self._common("shortcut", user_id)
        del payload["api_app_id"]
        payload["user"] = {k: payload["user"][k] for k in ("id", "username", "team_id")}
        payload.update(action_ts=self._action_ts(), callback_id=callback_id)
        payload["trigger_id"] = self.standin.issue_trigger_id(user_id)
        return self._interactive(payload)

    # ----- Events API

    def event(
        self,
        event: dict[str, Any],
        *,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        event_id: str | None = None,
    ) -> DriverResponse:
        """Deliver an event_callback; with retry_num and a known event_id the same body is redelivered."""
        if event_id is not None and event_id in self._sent_events:
            body = self._sent_events[event_id]
        else:
            event_id = event_id or f"Ev{uuid.uuid4().hex[:10].upper()}"
            body = json.dumps(self._envelope(event, event_id)).encode()
            self._sent_events[event_id] = body
        extra = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason or "http_timeout"}
        return self._post(body, "application/json", extra)

    def _envelope(self, event: dict[str, Any], event_id: str) -> dict[str, Any]:
        event = {**event, "event_ts": event.get("event_ts") or event.get("ts") or self._action_ts()}
        context = {"et": event.get("type"), "tid": self.team_id, "aid": self.api_app_id, "cid": event.get("channel")}
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(self.clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.standin.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + base64.urlsafe_b64encode(json.dumps(context).encode()).decode().rstrip("="),
        }

    def reaction_added(self, user_id: str, channel: str, ts: str, reaction: str, **kw: Any) -> DriverResponse:
        """A reaction_added event on a stand-in message (kw: event() options, else extra event fields)."""
        options, extra = _split_event_kw(kw)
        try:
            item_user = self.standin.message(channel, ts).get("user")
        except KeyError:  # Slack may still deliver a reaction on a message deleted meanwhile
            item_user = None
        event = {"type": "reaction_added", "user": user_id, "reaction": reaction, "item_user": item_user}
        event["item"] = {"type": "message", "channel": channel, "ts": ts}
        return self.event({**event, **extra}, **options)

    def app_home_opened(self, user_id: str, **kw: Any) -> DriverResponse:
        """An app_home_opened event (tab "home" with the published view unless kw says otherwise)."""
        options, extra = _split_event_kw(kw)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.standin.dm_channel(user_id),
        }
        event["tab"] = "home"
        view = self.standin.home_view(user_id)
        if view is not None:
            event["view"] = view
        return self.event({**event, **extra}, **options)

    def user_message(self, user_id: str, channel: str, text: str, *, thread_ts: str | None = None) -> DriverResponse:
        """A person posts text in the stand-in (encoded as Slack does), and the app gets the message event for it."""
        ts = self.standin.post_user_message(channel, user_id, text, thread_ts=thread_ts)
        event = self.standin.slack_message(channel, ts)
        info = self.standin.channel(channel) or {}
        kind = "im" if info.get("is_im") else "group" if info.get("is_private") else "channel"
        return self.event({**event, "channel": channel, "event_ts": ts, "channel_type": kind})


def _split_event_kw(kw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    options = {k: kw[k] for k in ("retry_num", "retry_reason", "event_id") if k in kw}
    return options, {k: v for k, v in kw.items() if k not in options}
