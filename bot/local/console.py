"""The local-mode console: act as a demo-workspace person, run commands, fill modals and read what Liaison posted."""

from __future__ import annotations

import contextlib
import difflib
import json
import logging
import shlex
import sys
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TextIO
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.clock import MovableClock
from bot.local import render, workspace
from bot.local.driver import DriverResponse, SlackDriver
from bot.local.standin import SlackStandIn
from bot.local.workspace import Person

log = logging.getLogger(__name__)
with contextlib.suppress(ImportError):
    import readline  # noqa: F401 - for its side effect: line editing and history in input()

DEMO_CHANNELS = (workspace.QUEUE, workspace.GENERAL, workspace.CUSTOMER)
READ_LIMIT = 10
SHORTCUT = "create_ticket"  # the app's one message shortcut, "Create ticket"
COMMANDS = "help as who go channels read thread dms post reply click shortcut react home wait".split()
FORM_HINT = '  Answer field by field: Enter keeps the value in [brackets], "cancel" closes the form.'
NOT_A_COMMAND = "Start with / for a slash command (/ticket help) or : for the console (:help); :post <text> posts."
Message = dict[str, Any]

HELP = """\
Slash commands run as you, in the current channel:  /ticket help   /ticket new Checkout fails   /ticket list
  :read [#channel]      the last messages, numbered [1], [2], ...     :thread <n>   message n and its replies
  :click <n> <button> [option]   press a button or pick from a menu on message n, by label or number:
                        :click 1 claim    :click 1 status solved    :click 1 "add note"
  :shortcut <n>         "Create ticket" from message n     :react <n> [emoji]   react (default :ticket:)
  :post <text>          post a message as yourself         :reply <n> <text>   answer in message n's thread
  :dms                  your DMs from Liaison
  :home                 open the App Home tab              :click home <n>   press its n-th button
  :as <name>            act as someone else                :who   everyone, and who you are
  :go <#channel|dm>     switch channel                     :channels   every channel
  :wait <duration>      move the clock on (90s, 30m, 2h, 1d, 1h30m) and deliver what fell due
  :help   this list     :quit   leave (Ctrl-D works too)
In a form: Enter keeps the [value shown], "-" empties an optional text, \\n starts a new line, "cancel" closes."""


class Mistake(Exception):
    """Something the person asked for that cannot be done; the console shows the message and carries on."""


class Console:
    """A person at the terminal, acting in the demo workspace through the stand-in and the signing driver."""

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
        self.style = render.Style(color=bool(getattr(out, "isatty", lambda: False)()))
        self.lookup = render.Lookup(
            self._handle, lambda c: (slack.channel(c) or {}).get("name"), self._author, slack.saved_file
        )
        self._members_of: dict[str, list[str]] = {}
        self._known = [c for c in DEMO_CHANNELS if slack.channel(c) is not None]
        self.user = self._find_user(user) or user
        self.channel = self._find_channel(channel) or channel
        self._form: render.Form | None = None
        self._snapshot()

    @property
    def prompt(self) -> str:
        """What the console asks next: a form question while a modal is open, else `alice in #support-queue> `."""
        return self._form.prompt if self._form else f"{self._handle(self.user)} in {self._label(self.channel)}> "

    def run(self, lines: Iterable[str], *, interactive: bool = False) -> None:
        """Handle lines until EOF or :quit; interactive shows prompts, otherwise form answers are echoed."""
        source = iter(lines)
        # A person at a terminal types through input(), which gives line editing and history (readline).
        typed = interactive and lines is sys.stdin and sys.stdin.isatty() and self.out is sys.stdout
        while True:
            try:
                self.out.write(self.prompt if interactive and not typed else "")
                self.out.flush()
                line = input(self.prompt) if typed else next(source).rstrip("\r\n")
                if not interactive and self._form is not None:  # a piped transcript shows question and answer
                    self._say(self.prompt + line)
                if not self.handle(line):
                    break
            except (EOFError, StopIteration):
                self.out.write("\n" if interactive else "")
                break
            except KeyboardInterrupt:
                self._say("\n(interrupted; :quit leaves the console)")

    def handle(self, line: str) -> bool:
        """Act on one line (a command, or the answer to the open form's question); False means quit."""
        text = line.strip()
        name, _, arg = text[1:].partition(" ")
        try:
            if text.startswith(":") and name.lower() in ("quit", "q", "exit"):  # even in the middle of a form
                return False
            if self._form is not None:
                self._answer(self._form, line)
            elif text.startswith("/"):
                cmd, _, rest = text.partition(" ")
                self._check(self.driver.command(self.user, rest.strip(), command=cmd, channel_id=self.channel), cmd)
                self._settle()
            elif text.startswith(":") and name.lower() in COMMANDS:
                getattr(self, "_cmd_" + name.lower())(arg.strip())
            elif text.startswith(":"):
                guess = "".join(f" Did you mean :{c}?" for c in difflib.get_close_matches(name, [*COMMANDS, "quit"], 1))
                raise Mistake(f"Unknown command :{name}.{guess} :help lists them all.")
            elif text:
                raise Mistake(NOT_A_COMMAND)
        except Mistake as mistake:
            self._say(self.style.warn(str(mistake)))
        except Exception as error:  # the console must outlive any bot failure or odd input, and say what happened
            log.debug("console command failed", exc_info=True)
            self._say(self.style.warn(f"That did not work: {error or type(error).__name__}"))
        return True

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

    # ----- commands

    def _cmd_help(self, arg: str) -> None:
        self._say(HELP)

    def _cmd_as(self, arg: str) -> None:
        found = self._find_user(arg)
        if found is None:
            raise Mistake(f"No one called “{arg}” here; :who lists everyone." if arg else "Who? e.g. :as bob")
        was_dm, self.user = (self.slack.channel(self.channel) or {}).get("is_im"), found
        role = "".join(f", {p.role}" for p in self.people if p.user_id == found)
        self._say(f"You are now {self._handle(found)} ({(self.slack.user(found) or {}).get('real_name')}{role}).")
        if was_dm:  # someone else's DM is not theirs to read: follow the person into their own
            self.channel = self.slack.dm_channel(found)
        elif found not in self._members(self.channel):
            self._say(f"  {self._handle(found)} is not in {self._label(self.channel)}; :go #channel switches.")
        self._snapshot()
        self._open_form()

    def _cmd_who(self, arg: str) -> None:
        for p in self.people:
            you = self.style.bold("  ← you") if p.user_id == self.user else ""
            self._say(f"  {p.name:<8} {(self.slack.user(p.user_id) or {}).get('real_name', ''):<12}  {p.role}{you}")

    def _cmd_go(self, arg: str) -> None:
        self.channel = self._find_channel(arg, need=True)
        if self.channel not in self._known and not (self.slack.channel(self.channel) or {}).get("is_im"):
            self._known.append(self.channel)
        self._say(f"Now in {self._label(self.channel)}. :read shows its messages.")

    def _cmd_channels(self, arg: str) -> None:
        for channel in [*self._known, self.slack.dm_channel(self.user)]:
            members = self._members(channel)
            here = " · ← here" if channel == self.channel else ""
            member = "you're a member" if self.user in members else "not a member"
            self._say(f"  {self._label(channel):<16} {channel:<11}  {len(members)} members · {member}{here}")

    def _cmd_read(self, arg: str, channel: str = "", title: str = "") -> None:
        channel = channel or (self._find_channel(arg, need=True) if arg else self.channel)
        messages, start = self.slack.messages(channel), max(len(self.slack.messages(channel)) - READ_LIMIT, 0)
        more = f", the last {READ_LIMIT} shown" if start else ""
        self._say(self.style.bold(f"{title or self._label(channel)} · {len(messages)} message(s){more}"))
        for number, message in enumerate(messages[start:], start + 1):
            self._say(*self._render(message, number))
        self._say("" if messages else "  Nothing here yet.")

    def _cmd_thread(self, arg: str) -> None:
        message = self._message(arg)
        self._say(*self._render(message, int(arg)))
        replies = self.slack.replies(self.channel, message["ts"])
        for reply in replies:
            lines = self._render(reply, indent="      ")
            self._say("  ↳ " + lines[0], *lines[1:])
        self._say("" if replies else "    No replies yet.")

    def _cmd_dms(self, arg: str) -> None:
        self._cmd_read("", self.slack.dm_channel(self.user), "Your DMs from Liaison")

    def _cmd_post(self, arg: str, thread: Message | None = None) -> None:
        if not arg or self.user not in self._members(self.channel):
            raise Mistake(f"{self._handle(self.user)} is not in {self._label(self.channel)}." if arg else "Post what?")
        # As in Slack: the message lands, then Liaison gets its message event (a shared channel's become tickets).
        self.driver.user_message(self.user, self.channel, arg, thread_ts=thread["ts"] if thread else None)
        where = "in its thread" if thread else f"as [{len(self.slack.messages(self.channel))}]"
        self._say(f"Posted {where} in {self._label(self.channel)}.")
        self._settle()

    def _cmd_reply(self, arg: str) -> None:
        number, _, text = arg.partition(" ")
        self._cmd_post(text.strip(), thread=self._message(number))

    def _cmd_click(self, arg: str) -> None:
        try:
            words = shlex.split(arg) or [""]
        except ValueError:  # an unbalanced quote: take the words as typed
            words = arg.split()
        home = self.slack.home_view(self.user) if words[0].casefold() == "home" else None
        if words[0].casefold() == "home" and home is None:
            raise Mistake("Open the Home tab first with :home.")
        message = {} if home else self._message(words[0])
        elements = render.controls(home["blocks"] if home else message.get("blocks") or [])
        where = "The Home tab" if home else f"Message {words[0]}"
        listed = ", ".join(f"{i} {render.render_control(e)}" for i, e in enumerate(elements, 1))
        element, typed = render.pick_control(elements, words[1:])
        wanted = " ".join(words[1:])
        if element is None:
            has = f"has {listed}" if elements else "has no buttons"
            raise Mistake(f"{where} has no button “{wanted}”; it {has}." if wanted and elements else f"{where} {has}.")
        choice = None
        if element.get("type") != "button":
            options = render.options_of(element)
            choice = render.pick_option(options, typed)
            if choice is None:
                labels = ", ".join(f"{i}) {label}" for i, (_, label) in enumerate(options, 1))
                raise Mistake(f"Pick an option of {render.render_control(element)}: {labels}.")
        target = {"view_id": home["id"]} if home else {"channel": self.channel, "message_ts": message["ts"]}
        # Several buttons can share an action_id (one Claim per Home row), so the clicked one's value goes along.
        value = element.get("value") if choice is None else None
        response = self.driver.click(self.user, element["action_id"], value=value, selected_option=choice, **target)
        self._check(response, render.render_control(element))
        self._settle()
        self._cmd_home("", opened=True) if home else None

    def _cmd_shortcut(self, arg: str) -> None:
        message = self._message(arg)
        self._check(self.driver.message_shortcut(self.user, SHORTCUT, self.channel, message["ts"]), "Create ticket")
        self._settle()

    def _cmd_react(self, arg: str) -> None:
        number, _, name = arg.partition(" ")
        message, name = self._message(number), name.strip().strip(":") or "ticket"
        self._check(self.driver.reaction_added(self.user, self.channel, message["ts"], name), "the reaction")
        self._say(f"You reacted {render.emoji(f':{name}:')} to [{number}].")
        self._settle()

    def _cmd_home(self, arg: str, opened: bool = False) -> None:
        if not opened:
            self._check(self.driver.app_home_opened(self.user), "opening the Home tab")
            self._settle()
        view = self.slack.home_view(self.user)
        if view is None:
            raise Mistake("Liaison has not published a Home tab for you.")
        hint = self.style.dim("  :click home <n> presses its n-th button.")
        self._say(*render.render_view(view, self.lookup, self.style, True), hint)

    def _cmd_wait(self, arg: str) -> None:
        if self.clock is None:
            raise Mistake(":wait is not available: this console was started without a movable clock.")
        delta = render.parse_duration(arg)
        if delta is None:
            raise Mistake(f"“{arg}” is not a duration; try 90s, 30m, 2h, 1d or 1h30m." if arg else "How long? :wait 2h")
        self.clock.advance(delta)
        self._say(f"⏩ {arg} later: it is now {self._when(self.clock.now().timestamp())}.")
        self._settle()
