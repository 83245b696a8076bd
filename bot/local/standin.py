"""A local Slack Web API stand-in that answers like Slack: an HTTP server over in-memory workspace state."""

from __future__ import annotations

import copy
import functools
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.local.driver_payloads import slack_encoded
from bot.local.standin_blocks import (
    MAX_VIEW_STACK,
    ApiError,
    Record,
    check_view,
    decode_json_args,
    public_copy,
    random_id,
)
from bot.local.standin_failures import FailureInjection
from bot.local.standin_failures import _Answer as _Answer
from bot.local.standin_failures import _Failure as _Failure
from bot.local.standin_failures import _failure_answer as _failure_answer
from bot.local.standin_files import FilesMethods
from bot.local.standin_http import RESPONSE_URL_MAX_POSTS, Call, HttpPlumbing, _Handler
from bot.local.standin_methods import WebApiMethods
from bot.slack_limits import TokenBucket

__all__ = [
    "MAX_VIEW_STACK",
    "RESPONSE_URL_MAX_POSTS",
    "ApiError",
    "Call",
    "Record",
    "SlackStandIn",
    "WebApiMethods",
    "check_view",
    "decode_json_args",
    "public_copy",
    "random_id",
]

log = logging.getLogger(__name__)


class SlackStandIn(HttpPlumbing, FailureInjection, WebApiMethods, FilesMethods):
    """Slack's Web API, response_url hooks, file upload URLs and workspace state, served over local HTTP from a daemon
    thread. With files_dir, files shared into a channel are also saved there (local mode) as <file id>-<name>."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-local-token",
        team_id: str = "T0LIAISON",
        bot_user_id: str = "U0LIAISON",
        app_id: str = "A0LIAISON",
        clock: Callable[[], float] = time.time,
        files_dir: Path | None = None,
    ) -> None:
        self.files_dir = files_dir
        self.bot_token, self.team_id, self.bot_user_id, self.app_id = bot_token, team_id, bot_user_id, app_id
        self.bot_id = "B" + bot_user_id[1:]
        self._init_state(clock)
        self._usergroup_handles: dict[str, str] = {}
        self._hooks: dict[str, Record] = {}
        self._response_posts: list[Record] = []
        self._calls: list[Call] = []
        self._pace_buckets: dict[str, TokenBucket] = {}
        self._failures: list[_Failure] = []
        self._outage: tuple[float, int] | None = None  # (until, status)
        self._rate_limit: tuple[float, int] | None = None  # (until, retry_after)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add_user(bot_user_id, "liaison", real_name="Liaison", is_bot=True)

    # ----- lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0 picks a free port) and serve from a daemon thread."""
        self._server = ThreadingHTTPServer((host, port), type("_BoundHandler", (_Handler,), {"standin": self}))
        self._server.daemon_threads = True
        # A short poll interval keeps stop(), and so every test's teardown, fast.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)
        self._thread = threading.Thread(target=serve, name="slack-standin", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> SlackStandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """http://host:port/ of the running server."""
        if self._server is None:
            raise RuntimeError("SlackStandIn is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def api_url(self) -> str:
        """The Web API base, ending in "/" as WebClient(base_url=...) needs."""
        return self.base_url + "api/"

    # ----- seeding and acting as Slack users

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        tz: str = "America/New_York",
        is_bot: bool = False,
    ) -> Record:
        """Add a workspace member; returns the users.info user object."""
        now, real = datetime.now(ZoneInfo(tz)), real_name or name
        offset = int(now.utcoffset().total_seconds())  # type: ignore[union-attr]  # aware datetimes have one
        user = {"id": user_id, "team_id": self.team_id, "name": name, "deleted": False, "real_name": real}
        user |= {"tz": tz, "tz_label": now.tzname(), "tz_offset": offset, "is_bot": is_bot, "is_app_user": False}
        user |= {k: False for k in ("is_admin", "is_owner", "is_primary_owner", "is_restricted", "is_ultra_restricted")}
        profile = {"real_name": real, "real_name_normalized": real, "display_name": name, "team": self.team_id}
        user["profile"] = profile | ({} if is_bot else {"email": f"{name}@liaison-local.example.com"})
        with self._lock:
            self._users[user_id] = user | {"updated": int(self._clock())}
            return copy.deepcopy(self._users[user_id])

    def add_channel(
        self, channel_id: str, name: str, *, members: Iterable[str] = (), is_private: bool = False
    ) -> Record:
        """Add a public or private channel; the bot is a member only if bot_user_id is in members."""
        channel = {"id": channel_id, "name": name, "name_normalized": name, "is_channel": not is_private}
        channel |= {"is_group": is_private, "is_private": is_private, "is_im": False, "is_mpim": False}
        channel |= {"created": int(self._clock()), "creator": "", "is_archived": False, "is_general": False}
        channel |= {"is_shared": False, "is_ext_shared": False, "is_org_shared": False, "previous_names": []}
        channel |= {k: {"value": "", "creator": "", "last_set": 0} for k in ("topic", "purpose")}
        with self._lock:
            self._channels[channel_id], self._members[channel_id] = channel, list(dict.fromkeys(members))
            return self._channel_info(channel)

    def add_usergroup(self, usergroup_id: str, handle: str, users: Iterable[str]) -> None:
        """Add a user group (subteam) with its members."""
        with self._lock:
            self._usergroups[usergroup_id], self._usergroup_handles[usergroup_id] = list(users), handle

    def post_user_message(self, channel: str, user: str, text: str, *, thread_ts: str | None = None) -> str:
        """Post what a person typed, encoded as Slack's client sends it; returns its ts. The person must be a member
        of the channel."""
        with self._lock:
            if channel not in self._channels or user not in self._users:
                raise ValueError(f"unknown channel {channel!r} or user {user!r}: add them first")
            if user not in self._members[channel]:
                raise ValueError(f"{user} is not a member of {channel}; list them in add_channel(members=...)")
            try:
                root = self._thread_root(channel, thread_ts) if thread_ts else None
            except ApiError:
                raise ValueError(f"no message {thread_ts} in {channel} to reply to") from None
            text, elements = self._encode_typed(text, command=False)
            section = {"type": "rich_text_section", "elements": elements}
            blocks = [{"type": "rich_text", "block_id": random_id(4), "elements": [section]}]
            message = {"type": "message", "client_msg_id": str(uuid.uuid4()), "text": text, "user": user}
            message |= {"ts": self._new_ts(), "team": self.team_id, "blocks": blocks, "_edits": 0}
            self._store_message(channel, message, root)
            return message["ts"]

    def encode_typed(self, text: str, *, command: bool = False) -> str:
        """Text a person typed as Slack sends it in a message event or (command=True) a slash command."""
        with self._lock:
            return self._encode_typed(text, command=command)[0]

    def _encode_typed(self, text: str, *, command: bool) -> tuple[str, list[Record]]:
        return slack_encoded(
            text,
            user_id=lambda name: next((u["id"] for u in self._users.values() if u["name"] == name), None),
            channel_id=lambda name: next((c["id"] for c in self._channels.values() if c.get("name") == name), None),
            command=command,
        )

    def issue_trigger_id(self, user_id: str | None = None) -> str:
        """A single-use trigger_id for user_id (whose modal stack it opens), valid for 3 s of the clock."""
        trigger_id = f"{secrets.randbelow(10**13):013d}.{secrets.randbelow(10**10):010d}.{secrets.token_hex(16)}"
        with self._lock:
            self._triggers[trigger_id] = {"user": user_id, "issued_at": self._clock(), "used": False}
        return trigger_id

    def new_response_url(
        self, *, channel: str | None = None, user: str | None = None, message_ts: str | None = None
    ) -> str:
        """A response_url on this server; posts to it act on channel/user/message_ts as Slack's would."""
        hook_id = secrets.token_hex(12)
        url = f"{self.base_url}response/{hook_id}"
        with self._lock:
            self._hooks[hook_id] = {"url": url, "uses": 0, "channel": channel, "user": user, "message_ts": message_ts}
        return url

    # ----- inspection (deep copies)

    def calls(self, method: str | None = None) -> list[Call]:
        """Every Web API call so far, optionally only those of one method."""
        with self._lock:
            return [copy.deepcopy(c) for c in self._calls if method in (None, c.method)]

    def _inspect(self, message: Record) -> Record:
        out = public_copy(message) | {"edited": message.get("_edits", 0)}  # an edit count: falsy until updated
        if "_metadata" in message:  # what the message was posted with, whether or not a reader would ask for it
            out["metadata"] = copy.deepcopy(message["_metadata"])
        return out | ({"reply_count": out.get("reply_count", 0)} if out.get("thread_ts") in (None, out["ts"]) else {})

    def messages(self, channel: str) -> list[Record]:
        """Messages in a channel's history, oldest first (edited: how often chat.update changed it): top-level ones,
        and thread replies sent with reply_broadcast (subtype thread_broadcast), as Slack shows them."""
        with self._lock:
            found = self._messages.get(channel, {}).values()
            return [self._inspect(m) for m in found if _in_history(m)]

    def replies(self, channel: str, ts: str) -> list[Record]:
        """Replies in the thread under ts, oldest first, without the parent."""
        with self._lock:
            found = self._messages.get(channel, {}).values()
            return [self._inspect(m) for m in found if m.get("thread_ts") == ts and m["ts"] != ts]

    def message(self, channel: str, ts: str) -> Record:
        """One message (top-level or reply), shaped like messages(); KeyError when there is none."""
        with self._lock:
            return self._inspect(self._messages.get(channel, {})[ts])

    def slack_message(self, channel: str, ts: str) -> Record:
        """One message as Slack's API and payloads show it (edited is {"user", "ts"}); KeyError when there is none."""
        with self._lock:
            return public_copy(self._messages.get(channel, {})[ts])

    def ephemerals(self, *, channel: str | None = None, user: str | None = None) -> list[Record]:
        """Ephemeral messages, oldest first; user is the person who sees it."""
        with self._lock:
            return [
                public_copy(e)
                for e in self._ephemerals
                if channel in (None, e["channel"]) and user in (None, e["user"])
            ]

    def view_stack(self, user: str | None) -> list[Record]:
        """The user's open modals, bottom first; the last one is the one on screen."""
        with self._lock:
            return copy.deepcopy(self._stacks.get(user, []))

    def home_view(self, user: str) -> Record | None:
        """The App Home view published for the user, if any."""
        with self._lock:
            return copy.deepcopy(self._homes.get(user))

    def find_view(self, view_id: str) -> Record | None:
        """A modal or home view by id, wherever it is."""
        with self._lock:
            try:
                return copy.deepcopy(self._view_at(*self._locate_view(view_id)))
            except ApiError:
                return None

    def dm_channel(self, user: str) -> str:
        """The id of the bot's DM with user (opened on demand, the same one conversations.open returns)."""
        with self._lock:
            return self._dm_for(user)

    def channel_id_by_name(self, name: str) -> str:
        """The id of the channel called name; KeyError when there is none."""
        with self._lock:
            found = next((c["id"] for c in self._channels.values() if c.get("name") == name), None)
        if found is None:
            raise KeyError(name)
        return found

    def user(self, user_id: str) -> Record | None:
        """The users.info object of a user, if known."""
        with self._lock:
            return copy.deepcopy(self._users.get(user_id))

    def channel(self, channel_id: str) -> Record | None:
        """The conversations.info object of a channel or DM, if known."""
        with self._lock:
            found = self._channels.get(channel_id)
            return self._channel_info(found) if found else None

    def response_posts(self, url: str | None = None) -> list[Record]:
        """Posts to response_urls: {"url", "body", "status", "at"}, rejected ones included."""
        with self._lock:
            return [copy.deepcopy(p) for p in self._response_posts if url in (None, p["url"])]

    # ----- what Slack's client does with the user's input and the app's answers (used by the driver)

    def set_view_state(self, view_id: str, values: Record) -> None:
        """Replace a view's state.values, as the Slack client does while the user fills it in."""
        with self._lock:
            self._view_at(*self._locate_view(view_id))["state"] = {"values": copy.deepcopy(values)}

    def close_view(self, user: str, view_id: str | None = None, *, clear: bool = False) -> Record | None:
        """Close the user's top modal (or view_id and those above it, or all with clear); returns the closed view."""
        with self._lock:
            stack = self._stacks.get(user) or []
            ids = [v["id"] for v in stack]
            if not stack or (view_id is not None and view_id not in ids):
                return None
            index = 0 if clear else (ids.index(view_id) if view_id else len(stack) - 1)
            closed = stack[-1] if clear else stack[index]
            del stack[index:]
            return copy.deepcopy(closed)

    def apply_view_response(self, user: str, view_id: str, status: int, body: bytes) -> str | None:
        """Apply an app's answer to a view_submission as Slack does; returns why Slack would refuse it, or None."""
        with self._lock:
            stack = self._stacks.get(user) or []
            index = next((i for i, v in enumerate(stack) if v["id"] == view_id), None)
            if index is None or status != 200:  # on a failed answer Slack shows an error and leaves the modal
                return "not_found" if index is None else f"http_{status}"
            try:
                answer = json.loads(body) if body.strip() else {}
            except ValueError:
                return "invalid_response: body is neither empty nor JSON"
            action = answer.get("response_action") if isinstance(answer, dict) else None
            if action in (None, "clear"):  # an empty ack closes the submitted view, "clear" the whole stack
                del stack[0 if action else index :]
            elif action == "errors":
                errors, inputs = (
                    answer.get("errors"),
                    {b["block_id"] for b in stack[index]["blocks"] if b["type"] == "input"},
                )
                if not isinstance(errors, dict) or not errors or set(errors) - inputs:
                    return f"invalid_errors: {errors!r} must map input block_ids {sorted(inputs)} to messages"
            elif action in ("update", "push"):
                if action == "push" and len(stack) >= MAX_VIEW_STACK:
                    return "push_limit_reached"
                try:
                    spec = check_view(answer.get("view"))
                except ApiError as exc:
                    return f"{exc.body['error']}: {exc.body.get('errors') or exc.body.get('response_metadata')}"
                if action == "update":
                    stack[index] = self._build_view(spec, old=stack[index])
                else:
                    stack.append(self._build_view(spec, previous=stack[-1]["id"], root=stack[0]["id"]))
            else:
                return f"unknown response_action {action!r}"
            return None

    def post_response(
        self, data: Record, *, channel: str | None, user: str | None, message_ts: str | None = None
    ) -> str | None:
        """Show a response message (response_url post or a slash command's direct answer); returns an error or None."""
        with self._lock:
            try:
                content = self._content(data, required=not data.get("delete_original"))
            except ApiError as exc:
                return exc.body["error"]
            original = self._find_message(channel or "", message_ts)
            ephemeral = next((e for e in self._ephemerals if e["ts"] == message_ts and e["channel"] == channel), None)
            if data.get("delete_original"):
                if original:
                    self._delete_message(channel or "", original)
                elif ephemeral:
                    self._ephemerals.remove(ephemeral)
            elif data.get("replace_original") and (original or ephemeral):
                self._edit_message(original or ephemeral, content)  # type: ignore[arg-type]
            elif data.get("response_type") == "in_channel" and channel in self._channels:
                thread_ts = data.get("thread_ts") if self._find_message(channel, data.get("thread_ts")) else None
                self._store_message(channel, self._bot_message(content), thread_ts)
            elif channel is not None and user is not None:
                self._ephemerals.append(self._bot_message(content) | {"channel": channel, "user": user})
            return None


def _in_history(message: Record) -> bool:
    return message.get("thread_ts") in (None, message["ts"]) or message.get("subtype") == "thread_broadcast"
