"""The local console's view of the demo workspace: who and where the person is, numbered messages, what arrived
after an action, and the modal form being filled in; console.Console adds the prompt loop and the commands."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TextIO
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.clock import MovableClock
from bot.local import render, workspace
from bot.local.driver import DriverResponse, SlackDriver
from bot.local.render_text import Lookup, Style
from bot.local.standin import SlackStandIn
from bot.local.workspace import Person

DEMO_CHANNELS = (workspace.QUEUE, workspace.GENERAL, workspace.CUSTOMER)
FORM_HINT = '  Answer field by field: Enter keeps the value in [brackets], "cancel" closes the form.'
Message = dict[str, Any]


class Mistake(Exception):
    """Something the person asked for that cannot be done; the console shows the message and carries on."""


class ConsoleState:
    """What the console knows of the workspace and shows the person: names, messages, news and the open form."""

    def __init__(
        self,
        *,
        driver: SlackDriver,
        slack: SlackStandIn,
        deliver: Callable[[], object],
        clock: MovableClock | None,
        user: str,
        channel: str,
        out: TextIO,
        people: Sequence[Person] = workspace.PEOPLE,
    ) -> None:
        self.driver, self.slack, self.deliver, self.clock, self.out = driver, slack, deliver, clock, out
        self.people = [p for p in people if slack.user(p.user_id) is not None]
        self.style = Style(color=bool(getattr(out, "isatty", lambda: False)()))
        self.lookup = Lookup(
            self._handle, lambda c: (slack.channel(c) or {}).get("name"), self._author, slack.saved_file
        )
        self._members_of: dict[str, list[str]] = {}
        self._known = [c for c in DEMO_CHANNELS if slack.channel(c) is not None]
        self.user = self._find_user(user) or user
        self.channel = self._find_channel(channel) or channel
        self._form: render.Form | None = None
        self._snapshot()

    # ----- output, people, channels, messages

    def _say(self, *lines: str) -> None:
        self.out.write("".join(line + "\n" for line in lines))
        self.out.flush()

    def _handle(self, user_id: str) -> str | None:
        return (self.slack.user(user_id) or {}).get("name")

    def _author(self, user_id: str) -> str | None:
        found = self.slack.user(user_id) or {}
        return found.get("real_name") if found.get("is_bot") else found.get("name")

    def _label(self, channel_id: str) -> str:
        found = self.slack.channel(channel_id) or {}
        return "DM" if found.get("is_im") else f"#{found.get('name') or channel_id}"

    def _find_user(self, typed: str) -> str | None:
        folded = typed.strip().lstrip("@").casefold()
        found = [p.user_id for p in self.people if folded in (p.user_id.casefold(), p.name, p.real_name.casefold())]
        return found[0] if found else (typed.strip() if typed.strip() and self.slack.user(typed.strip()) else None)

    def _find_channel(self, typed: str, *, need: bool = False) -> str:
        found = self.slack.dm_channel(self.user) if typed.casefold() in ("dm", "dms") else None
        found = found or (typed if typed and self.slack.channel(typed) is not None else None)
        with contextlib.suppress(KeyError):
            found = found or self.slack.channel_id_by_name(typed.lstrip("#").casefold())
        if found is None and need:
            raise Mistake(f"No channel “{typed}”; :channels lists them." if typed else "Which channel? e.g. #general")
        return found or ""

    def _members(self, channel_id: str) -> list[str]:
        # The stand-in shows membership only through the Web API; Liaison never invites, so one look each is enough.
        if channel_id not in self._members_of:
            request = urllib.request.Request(self.slack.api_url + "conversations.members", method="POST")
            request.add_header("Authorization", f"Bearer {self.slack.bot_token}")
            with urllib.request.urlopen(request, urlencode({"channel": channel_id}).encode(), timeout=10) as answer:
                self._members_of[channel_id] = json.load(answer).get("members", [])
        return self._members_of[channel_id]

    def _when(self, ts: str | float) -> str:
        zone = ZoneInfo((self.slack.user(self.user) or {}).get("tz") or "UTC")
        return datetime.fromtimestamp(float(ts), zone).strftime("%a %H:%M")

    def _message(self, typed: str) -> Message:
        messages = self.slack.messages(self.channel)
        if typed.isdigit() and 1 <= int(typed) <= len(messages):
            return messages[int(typed) - 1]
        has = f"messages 1-{len(messages)}" if messages else "no messages yet"
        what = f"“{typed}” is not a message number" if typed else "Which message? Give its number"
        raise Mistake(f"{what}: {self._label(self.channel)} has {has} (:read shows them).")

    def _render(self, message: Message, number: int | None = None, indent: str = "    ") -> list[str]:
        when = self._when(message["ts"])
        return render.render_message(message, self.lookup, self.style, number=number, when=when, indent=indent)

    # ----- what arrived

    def _collect(self) -> dict[tuple[str, str], Message]:
        found: dict[tuple[str, str], Message] = {}
        visible = [c for c in self._known if self.user in self._members(c)] + [self.slack.dm_channel(self.user)]
        for channel in visible:
            for message in self.slack.messages(channel):
                found[(channel, message["ts"])] = message
                for reply in self.slack.replies(channel, message["ts"]) if message.get("reply_count") else []:
                    found[(channel, reply["ts"])] = reply
        return found

    def _snapshot(self) -> None:
        self._seen: dict[tuple[str, str], Message] = self._collect()
        self._seen_ephemerals: set[str] = {e["ts"] for e in self.slack.ephemerals()}

    def _settle(self) -> None:
        """After an action: deliver what the bot queued, show what reached this person, then any form it opened."""
        try:
            self.deliver()
        except Exception as error:  # delivery is the bot's to retry; the person should still hear of the problem
            self._say(self.style.warn(f"Delivering Liaison's messages failed for now: {error}"))
        for ephemeral in self.slack.ephemerals(user=self.user):
            if ephemeral["ts"] not in self._seen_ephemerals:
                body = render.body_lines(ephemeral, self.lookup, self.style)
                where = self.style.dim(f"(only you, {self._label(ephemeral['channel'])})")
                lines = [f"  {where} {body[0]}"] if len(body) == 1 else [f"  {where}", *("    " + b for b in body)]
                self._say(*lines)
        now = self._collect()
        numbers = {(c, m["ts"]): i for c in {c for c, _ in now} for i, m in enumerate(self.slack.messages(c), 1)}
        for key, message in now.items():
            old, where = self._seen.get(key), self._label(key[0])
            number = f"[{numbers[key]}] " if key in numbers else "↳ "
            if old is None and message.get("user") != self.user:
                author = self._author(message.get("user", "")) or "?"
                self._say(f"  {where}  {number}{author}: {render.summary(message, self.lookup)}")
            elif old is not None and message.get("edited") != old.get("edited"):
                changed = render.changes(old, message, self.lookup) or render.summary(message, self.lookup)
                self._say(f"  {where}  {number}updated: {changed}")
        self._snapshot()
        self._open_form()

    def _check(self, response: DriverResponse | None, what: str = "that") -> None:
        if response is not None and response.status != 200:
            raise Mistake(f"Liaison answered {what} with HTTP {response.status}.")

    # ----- forms

    def _open_form(self) -> None:
        stack = self.slack.view_stack(self.user)
        view = stack[-1] if stack else None
        if view is None or self._form is None or (self._form.view_id, self._form.hash) != (view["id"], view["hash"]):
            self._form = render.Form.of(view) if view else None
            if view:
                self._say(*render.render_view(view, self.lookup, self.style), self.style.dim(FORM_HINT))

    def _answer(self, form: render.Form, text: str) -> None:
        try:
            action = form.take(text)
        except ValueError as error:
            raise Mistake("  " + str(error)) from None
        if action == "cancel":
            self._form = None
            self._check(self.driver.close_view(self.user, view_id=form.view_id), "closing the form")
            self._say("Form closed without submitting.")
            self._settle()
        elif action == "again":
            self._say("Once more through the fields; Enter keeps your answers.")
        elif action == "submit":
            response = self.driver.submit_view(self.user, form.answers, view_id=form.view_id)
            if response.status != 200 or response.view_error:
                why = response.view_error or f"HTTP {response.status}"
                raise Mistake(f"Liaison's answer left the form open ({why}); submit again, or cancel.")
            answer = (response.json() if response.body.strip() else None) or {}
            if answer.get("response_action") == "errors":
                self._say(self.style.warn("The form needs a few changes:"), *form.refused(answer.get("errors") or {}))
                return
            self._form = None
            reopened = bool(self.slack.view_stack(self.user))
            self._say("✓ Submitted; " + ("a new form opened." if reopened else "the form closed."))
            self._settle()
