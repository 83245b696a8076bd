"""Pure functions for the local console: messages, views and forms as terminal text, and what typing means.
Slack text itself (mrkdwn, emoji, text objects) is rendered by render_text."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.local.render_text import NO_LOOKUP, PLAIN, Lookup, Style, mrkdwn, text_of

Record = dict[str, Any]

_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def controls(blocks: Sequence[Record]) -> list[Record]:
    """The elements a person can act on in a message or view, in reading order (inputs excluded)."""
    found: list[Record] = []
    for block in blocks:
        if block.get("type") == "actions":
            found += [e for e in block.get("elements", []) if isinstance(e, dict)]
        elif isinstance(block.get("accessory"), dict) and block["accessory"].get("type") != "image":
            found.append(block["accessory"])
    return found


def control_label(element: Record) -> str:
    """What a control says on screen: a button's text, a select's placeholder (or its current choice)."""
    if element.get("type") == "button":
        return text_of(element.get("text"))
    placeholder = text_of(element.get("placeholder"))
    initial = element.get("initial_option") or {}
    return placeholder or text_of(initial.get("text")) or element.get("action_id", "?")


def render_control(element: Record, number: int | None = None) -> str:
    """One control as `[Claim]`, `[Change status ▾]` or, numbered, `[2 Claim]`."""
    label = control_label(element)
    if element.get("type") == "button" and element.get("url"):
        label += " ↗"
    elif element.get("type") != "button":
        label += " ▾"
    return f"[{number} {label}]" if number is not None else f"[{label}]"


def options_of(element: Record) -> list[tuple[str, str]]:
    """(value, label) of a select's options, option groups flattened."""
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return [(o.get("value", ""), text_of(o.get("text"))) for o in options]


def pick_option(options: Sequence[tuple[str, str]], typed: str) -> str | None:
    """The value of the option a person means by its number, value, label or a part of the label only it has."""
    typed = typed.strip()
    if typed.isdigit() and 1 <= int(typed) <= len(options):
        return options[int(typed) - 1][0]
    folded = typed.casefold()
    for value, label in options:
        if folded in (value.casefold(), label.casefold()):
            return value
    within = [value for value, label in options if folded and folded in label.casefold()]
    return within[0] if len(within) == 1 else None


def find_control(elements: Sequence[Record], typed: str) -> Record | None:
    """The control a person means by its number, label or action id (any case; a unique word of it is enough)."""
    typed = typed.strip().casefold()
    if typed.isdigit():
        index = int(typed) - 1
        return elements[index] if 0 <= index < len(elements) else None
    for test in (
        lambda e: control_label(e).casefold() == typed,
        lambda e: e.get("action_id", "").casefold() == typed,
        lambda e: e.get("action_id", "").casefold().endswith("_" + typed),
        lambda e: typed in control_label(e).casefold().split(),
    ):
        found = [e for e in elements if test(e)]
        if len(found) == 1:
            return found[0]
    return None


def pick_control(elements: Sequence[Record], words: Sequence[str]) -> tuple[Record | None, str]:
    """(control, option) for the words after `:click n`; the longest run naming a control wins (`add note`)."""
    for cut in range(len(words), 0, -1):
        found = find_control(elements, " ".join(words[:cut]))
        if found is not None:
            return found, " ".join(words[cut:])
    return None, ""


def parse_duration(text: str) -> timedelta | None:
    """`90s`, `30m`, `2h`, `1d`, `1w`, `1h30m` → a timedelta; None when text is no such duration."""
    compact = text.replace(" ", "").lower()
    parts = _DURATION.findall(compact)
    whole = bool(compact) and "".join(n + u for n, u in parts) == compact
    return sum((timedelta(**{_UNITS[u]: int(n)}) for n, u in parts), timedelta()) if whole else None


def changes(old: Record, new: Record, lookup: Lookup = NO_LOOKUP, limit: int = 160) -> str:
    """What an edit changed, on one line: the body lines that are new (controls left out), cut to limit."""
    before = set(body_lines(old, lookup))
    line = " · ".join(b for b in body_lines(new, lookup) if b not in before and not b.startswith("["))
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _section(block: Record, lookup: Lookup, style: Style, numbers: Mapping[int, int]) -> list[str]:
    lines = text_of(block.get("text"), lookup, style).split("\n") if block.get("text") else []
    for item in block.get("fields") or []:
        text = text_of(item, lookup, PLAIN) if item.get("type") == "mrkdwn" else item.get("text", "")
        label, sep, value = text.partition("\n")
        lines.append(f"{style.bold(label)}: {' '.join(value.split())}" if sep else text)
    accessory = block.get("accessory")
    if isinstance(accessory, dict):
        if accessory.get("type") == "image":
            lines.append(f"[image: {accessory.get('alt_text', '')}]")
        else:
            control = render_control(accessory, numbers.get(id(accessory)))
            lines = lines[:-1] + [f"{lines[-1]}  {control}"] if lines else [control]
    return lines


def render_blocks(
    blocks: Sequence[Record], lookup: Lookup = NO_LOOKUP, style: Style = PLAIN, numbered: bool = False
) -> list[str]:
    """Blocks as lines: headers framed, fields as `Label: value`, controls as `[Label]`, context dimmed, inputs."""
    numbers = {id(e): i for i, e in enumerate(controls(blocks), 1)} if numbered else {}
    lines: list[str] = []
    inputs = 0
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(style.bold(f"== {text_of(block.get('text'))} =="))
        elif kind == "section":
            lines += _section(block, lookup, style, numbers)
        elif kind == "context":
            parts = [text_of(e, lookup) or e.get("alt_text", "") for e in block.get("elements", [])]
            lines.append(style.dim("› " + " ".join(parts).replace("\n", " ")))
        elif kind == "actions":
            elements = [e for e in block.get("elements", []) if isinstance(e, dict)]
            lines.append(" ".join(render_control(e, numbers.get(id(e))) for e in elements))
        elif kind == "divider":
            lines.append(style.dim("─" * 40))
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text', '')}]")
        elif kind == "input" and isinstance(block.get("element"), dict):
            inputs += 1
            lines += render_field(inputs, field_of(block), style)
        else:
            lines.append(style.dim(f"[{kind} block]"))
    return lines


def attached(message: Record, lookup: Lookup = NO_LOOKUP) -> list[str]:
    """A line per file shared in a message: `📎 SLA chart: saved to .liaison/files/F1-chart.png`."""
    files = [(f.get("title") or f.get("name"), lookup.file(f.get("id", ""))) for f in message.get("files", [])]
    return [f"📎 {title}" + (f": saved to {path}" if path else "") for title, path in files]


def body_lines(message: Record, lookup: Lookup = NO_LOOKUP, style: Style = PLAIN) -> list[str]:
    """A message's content: its blocks, or its text when it has none but rich_text (which a person's post repeats),
    then its files."""
    blocks = [b for b in message.get("blocks") or [] if b.get("type") != "rich_text"]
    if blocks:
        return render_blocks(blocks, lookup, style) + attached(message, lookup)
    shown = message.get("text") or not message.get("files")  # a file shared without a comment has no text to show
    return mrkdwn(message.get("text", ""), lookup, style).split("\n") * bool(shown) + attached(message, lookup)


def render_message(
    message: Record,
    lookup: Lookup = NO_LOOKUP,
    style: Style = PLAIN,
    *,
    number: int | None = None,
    when: str | None = None,
    indent: str = "    ",
) -> list[str]:
    """A message as a heading (`[3] Liaison · Tue 14:02 (edited)`), its indented body and its reply count."""
    user = message.get("user", "")
    author = lookup.author(user) or lookup.user(user) or user
    if message.get("username"):  # posted by the bot under a person's name (a reply in a customer's channel)
        author = f"{message['username']} (via {author})"
    head = (f"[{number}] " if number is not None else "") + style.bold(author)
    head += f" · {when}" if when else ""
    head += style.dim(" (edited)") if message.get("edited") else ""
    lines = [head] + [indent + line for line in body_lines(message, lookup, style)]
    count = message.get("reply_count") or 0
    if count:
        hint = f" — :thread {number}" if number is not None else ""
        lines.append(indent + style.dim(f"({count} repl{'y' if count == 1 else 'ies'}{hint})"))
    return lines


def summary(message: Record, lookup: Lookup = NO_LOOKUP, limit: int = 160) -> str:
    """A message on one line (its fallback text, else its blocks; then its files), cut to limit characters."""
    head = [mrkdwn(message["text"], lookup), *attached(message, lookup)] if message.get("text") else None
    text = "\n".join(head or body_lines(message, lookup))
    line = "  ".join(part.strip() for part in text.split("\n") if part.strip())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Field:
    """One input block of a modal, as the console asks for it."""

    block_id: str
    action_id: str
    label: str
    kind: str
    optional: bool = False
    multiline: bool = False
    hint: str = ""
    placeholder: str = ""
    initial: Any = None  # a text field's initial value, a select's initial option value
    options: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def shown(self, value: Any) -> str:
        """How a value of this field reads: an option's label for selects, the text itself otherwise."""
        return dict(self.options).get(value, value) if isinstance(value, str) else ""


def field_of(block: Record) -> Field:
    """The field an input block asks for."""
    element = block["element"]
    initial = (element.get("initial_option") or {}).get("value", element.get("initial_value"))
    return Field(
        block.get("block_id", ""),
        element.get("action_id", ""),
        text_of(block.get("label")),
        element.get("type", ""),
        optional=bool(block.get("optional")),
        multiline=bool(element.get("multiline")),
        hint=text_of(block.get("hint")),
        placeholder=text_of(element.get("placeholder")),
        initial=initial,
        options=tuple(options_of(element)),
    )


def modal_fields(view: Record) -> list[Field]:
    """The input blocks of a view, in order."""
    return [field_of(b) for b in view.get("blocks", []) if b.get("type") == "input" and "element" in b]


def render_field(number: int, item: Field, style: Style = PLAIN, error: str | None = None) -> list[str]:
    """One modal field: its number, label, flags, current value, hint, options and inline error."""
    flags = [w for w, on in (("optional", item.optional), ("several lines", item.multiline)) if on]
    head = f"{number}. {style.bold(item.label)}" + (f" ({', '.join(flags)})" if flags else "")
    if item.initial and not item.options:
        head += f" = “{item.initial}”"
    elif item.placeholder and not item.options:
        head += style.dim(f"  e.g. {item.placeholder}")
    lines = [head] + ["     " + style.dim(item.hint)] * bool(item.hint)
    if item.options:
        marks = [f"{i}) {label}{' ✓' * (value == item.initial)}" for i, (value, label) in enumerate(item.options, 1)]
        lines.append("     " + "  ".join(marks))
    return lines + ["     " + style.warn(f"⚠ {error}")] * bool(error)


@dataclass
class Form:
    """A modal being filled in at the terminal: the fields still to ask, in order, and the answers so far."""

    view_id: str
    hash: str
    fields: list[Field]
    queue: list[int]  # indexes of the fields still to ask; empty: the next question is "Submit?"
    answers: Record = field(default_factory=dict)  # block_id → {action_id: value}, as driver.submit_view takes them

    @classmethod
    def of(cls, view: Record) -> Form:
        fields = modal_fields(view)
        return cls(view["id"], view["hash"], fields, list(range(len(fields))))

    @property
    def prompt(self) -> str:
        if not self.queue:
            return "  Submit? [Y/n/cancel] "
        item = self.fields[self.queue[0]]
        current = self.answers.get(item.block_id, {}).get(item.action_id, item.initial)
        ask = f"  {item.label}" + " (optional)" * item.optional + f" (1-{len(item.options)})" * bool(item.options)
        return ask + (f" [{item.shown(current)}]" if current else "") + ": "

    def take(self, typed: str) -> str | None:
        """Take one answer; returns "submit", "cancel" or "again" when it asks for that; ValueError if it is no answer.

        Enter keeps a field's value, a select takes an option's number, value or label, "-" empties an optional
        text and \\n in a long text starts a new line."""
        typed, folded = typed.strip(), typed.strip().casefold()
        if folded in ("cancel", ":cancel"):
            return "cancel"
        if not self.queue:
            if folded not in ("", "y", "yes", "n", "no"):
                raise ValueError("Answer y to submit, n to change your answers, or cancel.")
            self.queue = list(range(len(self.fields))) if folded[:1] == "n" else []
            return "again" if folded[:1] == "n" else "submit"
        item = self.fields[self.queue[0]]
        value = pick_option(item.options, typed) if item.options and typed else typed
        if value is None:
            raise ValueError(f"“{typed}” is not one of the options: type 1-{len(item.options)}, a value or a label.")
        if value:
            value = "" if value == "-" and item.optional else value.replace("\\n", "\n") if item.multiline else value
            self.answers[item.block_id] = {item.action_id: value}
        self.queue.pop(0)
        return None

    def refused(self, errors: Mapping[str, str]) -> list[str]:
        """Queue the fields Liaison found errors in, to ask again; the lines that show each error by its field."""
        self.queue = [i for i, f in enumerate(self.fields) if f.block_id in errors]
        return [f"  {i + 1}. {self.fields[i].label}: ⚠ {errors[self.fields[i].block_id]}" for i in self.queue]


def render_view(view: Record, lookup: Lookup = NO_LOOKUP, style: Style = PLAIN, numbered: bool = False) -> list[str]:
    """A modal (title, text, numbered fields with their options, its buttons) or a Home tab."""
    title = text_of(view.get("title")) or ("Home" if view.get("type") == "home" else "Form")
    body = render_blocks(view.get("blocks", []), lookup, style, numbered)
    buttons = " ".join(f"[{text_of(view[key])}]" for key in ("submit", "close") if view.get(key))
    return [style.bold(f"┌─ {title} ─┐"), *("  " + line for line in body)] + ["  " + buttons] * bool(buttons)
