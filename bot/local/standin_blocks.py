"""Block Kit checks, Slack's error answers and small record helpers for the local Slack stand-in."""

from __future__ import annotations

import copy
import json
import secrets
import string
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS, MAX_VIEW_BLOCKS, MAX_TEXT_LENGTH = 50, 100, 40000
MAX_VIEW_STACK, TRIGGER_TTL_SECONDS = 3, 3.0
WORKSPACE_URL = "https://liaison-local.slack.com/"
_ID_ALPHABET = string.ascii_letters + string.digits
Record = dict[str, Any]


class ApiError(Exception):
    """An ``ok: false`` answer; methods raise it before touching state, so a failed call changes nothing."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.body: Record = {"ok": False, "error": error, **extra}


def invalid_arguments(message: str) -> ApiError:
    """Slack's ``invalid_arguments`` shape, with the reason in response_metadata.messages."""
    return ApiError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {message}"]})


def need(value: Any, error: str) -> Any:
    """Return value, or raise Slack's ``error`` answer when it is missing or false."""
    if not value:
        raise ApiError(error)
    return value


def block_errors(blocks: Any, limit: int, pointer: str = "/blocks") -> list[str]:
    """Reasons Slack would refuse ``blocks``, judged by slack_sdk's models; empty when they are valid."""
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{pointer}]"]
    if len(blocks) > limit:
        return [f"no more than {limit} items allowed [json-pointer:{pointer}]"]
    errors = []
    for index, block in enumerate(blocks):
        where = f"[json-pointer:{pointer}/{index}]"
        try:
            parsed = Block.parse(block) if isinstance(block, dict) else None
            if parsed is None:
                errors.append(f"unsupported block {str(block)[:60]} {where}")
            else:
                parsed.to_dict()  # to_dict() runs validate_json() on the block and on every nested element
        except Exception as exc:  # SlackObjectFormationError mostly, but malformed dicts raise TypeError & co.
            errors.append(f"{exc} {where}")
    return errors


def check_blocks(blocks: Any, limit: int, pointer: str = "/blocks") -> None:
    """Raise Slack's ``invalid_blocks`` answer when ``blocks`` are not valid Block Kit."""
    errors = block_errors(blocks, limit, pointer)
    if errors:
        raise ApiError(
            "invalid_blocks", errors=errors, response_metadata={"messages": [f"[ERROR] {e}" for e in errors]}
        )


def check_view(view: Any, types: tuple[str, ...] = ("modal",)) -> Record:
    """Validate a view as Slack would: its blocks, then the view itself through slack_sdk's View model."""
    if not isinstance(view, dict) or view.get("type") not in types:
        raise invalid_arguments(f"must be a view of type {' or '.join(types)} [json-pointer:/view]")
    if view["type"] == "modal" and not view.get("title"):
        raise invalid_arguments("missing required field: title [json-pointer:/view/title]")
    check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS, "/view/blocks")
    try:
        View(**view).validate_json()
    except Exception as exc:
        raise invalid_arguments(f"{exc} [json-pointer:/view]") from None
    return view


def decode_json_args(args: Record) -> None:
    """Form-encoded calls carry blocks/attachments/view as JSON strings; decode them in place as Slack does."""
    for name, error in {"blocks": "invalid_blocks_format", "attachments": "invalid_attachments", "view": ""}.items():
        if isinstance(args.get(name), str):
            try:
                args[name] = json.loads(args[name])
            except ValueError:
                bad_view = invalid_arguments("invalid json [json-pointer:/view]")
                raise (bad_view if name == "view" else ApiError(error)) from None


def random_id(length: int = 5) -> str:
    """A short random id like the block_ids Slack generates."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def interactive_elements(block: Record) -> list[Record]:
    """The elements of a block a user can act on (actions elements, an input's element, a section accessory)."""
    if block.get("type") == "actions":
        return [e for e in block.get("elements", []) if isinstance(e, dict)]
    element = block.get("element") or block.get("accessory")
    return [element] if isinstance(element, dict) and element.get("type") != "image" else []


def with_generated_ids(blocks: list[Record]) -> list[Record]:
    """A copy of ``blocks`` with missing block_id/action_id filled in, as Slack does when it stores them."""
    out = copy.deepcopy(blocks)
    for block in out:
        block.setdefault("block_id", random_id(4))
        for element in interactive_elements(block):
            element.setdefault("action_id", random_id(5))
    return out


def flag(value: Any) -> bool:
    """A boolean argument as JSON (true) or form encoding ("true", "1") sends it."""
    return value is True or str(value).lower() in ("1", "true")


def public_copy(record: Record) -> Record:
    """A deep copy of a stored record without the stand-in's private (underscore) bookkeeping keys."""
    return {k: copy.deepcopy(v) for k, v in record.items() if not k.startswith("_")}
