"""The local-mode console: act as a demo-workspace person, run commands, fill modals and read what Liaison posted."""

from __future__ import annotations

import contextlib
import difflib
import logging
import shlex
import sys
from collections.abc import Iterable

from bot.local import render
from bot.local.console_state import ConsoleState, Message, Mistake
from bot.local.render_text import emoji

log = logging.getLogger(__name__)
with contextlib.suppress(ImportError):
    import readline  # noqa: F401 - for its side effect: line editing and history in input()

READ_LIMIT = 10
SHORTCUT = "create_ticket"  # the app's one message shortcut, "Create ticket"
COMMANDS = "help as who go channels read thread dms post reply click shortcut react home wait".split()
NOT_A_COMMAND = "Start with / for a slash command (/ticket help) or : for the console (:help); :post <text> posts."

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


class Console(ConsoleState):
    """A person at the terminal, acting in the demo workspace through the stand-in and the signing driver."""

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
        self._say(f"You reacted {emoji(f':{name}:')} to [{number}].")
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
