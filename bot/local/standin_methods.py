"""Web API method implementations and Block Kit checks for the local Slack stand-in."""

from __future__ import annotations

import copy
import json
import secrets
import string
import threading
from collections.abc import Callable
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


def _user_list(value: Any) -> list[str]:
    return [u.strip() for u in str(value or "").split(",") if u.strip()]


class WebApiMethods:
    """Slack Web API methods (``_api_<method>``) over the workspace state; all run with the state's lock held."""

    team_id: str
    bot_user_id: str
    bot_id: str
    app_id: str

    def _init_state(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._users: dict[str, Record] = {}
        self._channels: dict[str, Record] = {}
        self._members: dict[str, list[str]] = {}
        self._messages: dict[str, dict[str, Record]] = {}  # channel -> ts -> message, in posting order
        self._ephemerals: list[Record] = []
        self._stacks: dict[str | None, list[Record]] = {}  # user -> open modals, bottom first
        self._homes: dict[str, Record] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._triggers: dict[str, Record] = {}
        self._last_ts, self._id_counter = (0, 0), 0

    def _api_method(self, method: str) -> Callable[[Record], Record] | None:
        return getattr(self, "_api_" + method.replace(".", "_"), None)

    # ----- shared state helpers (also used for seeding and for response_url posts)

    def _new_ts(self) -> str:
        # Strictly increasing even when the injected clock stands still or goes back.
        (last_sec, last_n), sec, n = self._last_ts, int(self._clock()), 100
        if sec <= last_sec:
            sec, n = (last_sec, last_n + 100) if last_n < 999_900 else (last_sec + 1, 100)
        self._last_ts = (sec, n)
        return f"{sec}.{n:06d}"

    def _new_id(self, prefix: str) -> str:
        self._id_counter += 1
        return f"{prefix}0{self._id_counter:07d}"

    def _dm_for(self, user_id: str) -> str:
        channel_id = "D" + user_id[1:]
        if channel_id not in self._channels:
            dm = {"id": channel_id, "created": int(self._clock()), "is_im": True, "is_org_shared": False}
            self._channels[channel_id] = dm | {"user": user_id, "is_user_deleted": False, "priority": 0}
            self._members[channel_id] = [user_id, self.bot_user_id]
        return channel_id

    def _channel(self, channel_id: Any) -> Record:
        return need(self._channels.get(channel_id) if isinstance(channel_id, str) else None, "channel_not_found")

    def _bot_in(self, channel: Record) -> bool:
        return bool(channel.get("is_im")) or self.bot_user_id in self._members[channel["id"]]

    def _channel_info(self, channel: Record) -> Record:
        info = public_copy(channel)
        if not channel.get("is_im"):
            info |= {"is_member": self._bot_in(channel), "num_members": len(self._members[channel["id"]])}
        return info

    def _find_message(self, channel_id: str, ts: Any) -> Record | None:
        return self._messages.get(channel_id, {}).get(ts) if isinstance(ts, str) else None

    def _content(self, a: Record, *, required: bool = True) -> Record:
        content = {k: a[k] for k in ("text", "blocks", "attachments") if a.get(k) is not None}
        if "text" in content and not isinstance(content["text"], str):
            content["text"] = str(content["text"])
        if required:
            need(content.get("text") or content.get("blocks") or content.get("attachments"), "no_text")
        if len(content.get("text", "")) > MAX_TEXT_LENGTH:
            raise ApiError("msg_too_long")
        if "blocks" in content:
            check_blocks(content["blocks"], MAX_MESSAGE_BLOCKS)
            content["blocks"] = with_generated_ids(content["blocks"])
        if not isinstance(content.get("attachments", []), list):
            raise ApiError("invalid_attachments")
        return content

    def _bot_message(self, content: Record) -> Record:
        message = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "app_id": self.app_id}
        message |= {"team": self.team_id, "text": content.get("text", ""), "blocks": content.get("blocks", [])}
        if content.get("attachments"):
            message["attachments"] = copy.deepcopy(content["attachments"])
        return message | {"ts": self._new_ts(), "_edits": 0}

    def _thread_root(self, channel_id: str, ts: Any) -> str:
        parent = need(self._find_message(channel_id, ts), "thread_not_found")
        return parent.get("thread_ts") or parent["ts"]  # a reply to a reply lands in the root's thread

    def _store_message(self, channel_id: str, message: Record, thread_ts: str | None = None) -> None:
        if thread_ts:
            parent = self._messages[channel_id][thread_ts]
            message |= {"thread_ts": thread_ts, "parent_user_id": parent.get("user")}
            reply_users = parent.setdefault("reply_users", [])
            reply_users.extend([] if message.get("user") in reply_users else [message.get("user")])
            parent |= {"thread_ts": thread_ts, "reply_count": parent.get("reply_count", 0) + 1}
            parent |= {"reply_users_count": len(reply_users), "latest_reply": message["ts"]}
        self._messages.setdefault(channel_id, {})[message["ts"]] = message

    def _edit_message(self, message: Record, content: Record) -> None:
        message.update(copy.deepcopy(content))  # Slack keeps blocks/attachments that an update leaves out
        message["_edits"] = message.get("_edits", 0) + 1
        message["edited"] = {"user": self.bot_user_id, "ts": self._new_ts()}

    def _delete_message(self, channel_id: str, message: Record) -> None:
        del self._messages[channel_id][message["ts"]]
        thread_ts = message.get("thread_ts")
        parent = self._find_message(channel_id, thread_ts) if thread_ts != message["ts"] else None
        if parent is not None:
            parent["reply_count"] = max(parent.get("reply_count", 1) - 1, 0)

    def _locate_view(self, view_id: Any) -> tuple[Any, list[Record] | None, int]:
        """(owner, stack, index) of a modal, (owner, None, 0) of a home view; raises not_found."""
        for owner, stack in self._stacks.items():
            for index, view in enumerate(stack):
                if view["id"] == view_id:
                    return owner, stack, index
        owner = next((o for o, v in self._homes.items() if v["id"] == view_id), None)
        return need(owner, "not_found"), None, 0

    def _view_at(self, owner: Any, stack: list[Record] | None, index: int) -> Record:
        return stack[index] if stack is not None else self._homes[owner]

    def _build_view(self, spec: Record, *, old: Record | None = None, previous: Any = None, root: Any = None) -> Record:
        view_id = old["id"] if old else self._new_id("V")
        if old:
            previous, root = old.get("previous_view_id"), old.get("root_view_id")
        view = {"id": view_id, "team_id": self.team_id, "type": spec["type"], "state": {"values": {}}}
        view["blocks"] = with_generated_ids(spec.get("blocks", []))
        view |= {k: copy.deepcopy(spec.get(k)) for k in ("title", "close", "submit")}
        view |= {"private_metadata": spec.get("private_metadata", ""), "callback_id": spec.get("callback_id", "")}
        view |= {k: bool(spec.get(k, False)) for k in ("clear_on_close", "notify_on_close")}
        view |= {"hash": f"{int(self._clock())}.{secrets.token_hex(4)}", "previous_view_id": previous}
        view |= {"root_view_id": root or view_id, "app_id": self.app_id, "bot_id": self.bot_id}
        view["external_id"] = spec.get("external_id", (old or {}).get("external_id", ""))
        return view | {"app_installed_team_id": self.team_id}

    def _take_trigger(self, a: Record) -> Record:
        trigger_id = a.get("trigger_id") or a.get("interactivity_pointer")
        if not trigger_id:
            raise invalid_arguments("missing required field: trigger_id")
        trigger = self._triggers.get(trigger_id) or {"used": True}
        need(not trigger["used"], "invalid_trigger_id")
        need(self._clock() - trigger["issued_at"] < TRIGGER_TTL_SECONDS, "expired_trigger_id")
        return trigger  # the caller marks it used once the whole call has succeeded

    def _view_arg(self, a: Record, types: tuple[str, ...] = ("modal",)) -> Record:
        if "view" not in a:
            raise invalid_arguments("missing required field: view")
        return check_view(a["view"], types)

    # ----- auth, chat

    def _api_auth_test(self, a: Record) -> Record:
        bot = {"user": self._users[self.bot_user_id]["name"], "user_id": self.bot_user_id, "bot_id": self.bot_id}
        return {"url": WORKSPACE_URL, "team": "Liaison Local", "team_id": self.team_id, **bot}

    def _api_chat_postMessage(self, a: Record) -> Record:
        target = a.get("channel")
        if isinstance(target, str) and target[:1] in ("U", "W"):  # a user id posts into the bot's DM with them
            need(target in self._users, "channel_not_found")
            channel = self._channels.get("D" + target[1:]) or {"id": "D" + target[1:], "is_im": True}
        else:
            channel = self._channel(target)
        content = self._content(a)
        need(self._bot_in(channel), "not_in_channel")
        thread_ts = self._thread_root(channel["id"], a["thread_ts"]) if a.get("thread_ts") else None
        if channel["id"] not in self._channels:  # open the DM only now that the call can no longer fail
            self._dm_for(target)  # type: ignore[arg-type]
        message = self._bot_message(content)
        self._store_message(channel["id"], message, thread_ts)
        return {"channel": channel["id"], "ts": message["ts"], "message": public_copy(message)}

    def _own_message(self, a: Record, ts_arg: str, error: str) -> tuple[Record, Record]:
        channel = self._channel(a.get("channel"))
        message = need(self._find_message(channel["id"], a.get(ts_arg)), "message_not_found")
        need(message.get("bot_id") == self.bot_id, error)
        return channel, message

    def _api_chat_update(self, a: Record) -> Record:
        channel, message = self._own_message(a, "ts", "cant_update_message")
        self._edit_message(message, self._content(a))
        return {"channel": channel["id"], "ts": message["ts"], "text": message["text"], "message": public_copy(message)}

    def _api_chat_delete(self, a: Record) -> Record:
        channel, message = self._own_message(a, "ts", "cant_delete_message")
        self._delete_message(channel["id"], message)
        return {"channel": channel["id"], "ts": message["ts"]}

    def _api_chat_postEphemeral(self, a: Record) -> Record:
        channel = self._channel(a.get("channel"))
        if not a.get("user"):
            raise invalid_arguments("missing required field: user")
        content = self._content(a)
        need(self._bot_in(channel), "not_in_channel")
        need(a["user"] in self._members[channel["id"]], "user_not_in_channel")
        thread_ts = self._thread_root(channel["id"], a["thread_ts"]) if a.get("thread_ts") else None
        ephemeral = self._bot_message(content) | {"channel": channel["id"], "user": a["user"]}  # user: who sees it
        self._ephemerals.append(ephemeral | ({"thread_ts": thread_ts} if thread_ts else {}))
        return {"message_ts": ephemeral["ts"]}

    def _api_chat_getPermalink(self, a: Record) -> Record:
        channel = self._channel(a.get("channel"))
        message = need(self._find_message(channel["id"], a.get("message_ts")), "message_not_found")
        link = f"{WORKSPACE_URL}archives/{channel['id']}/p{message['ts'].replace('.', '')}"
        if message.get("thread_ts") not in (None, message["ts"]):
            link += f"?thread_ts={message['thread_ts']}&cid={channel['id']}"
        return {"channel": channel["id"], "permalink": link}

    # ----- conversations

    def _api_conversations_open(self, a: Record) -> Record:
        if a.get("channel"):
            channel, existed = self._channel(a["channel"]), True
        else:
            users = need(_user_list(a.get("users")), "users_list_not_supplied")
            need(len(users) == 1, "too_many_users")  # group DMs are not modelled by the stand-in
            need(users[0] in self._users, "user_not_found")
            existed = "D" + users[0][1:] in self._channels
            channel = self._channels[self._dm_for(users[0])]
        info = self._channel_info(channel) if flag(a.get("return_im")) else {"id": channel["id"]}
        return {"no_op": existed, "already_open": existed, "channel": info}

    def _api_conversations_info(self, a: Record) -> Record:
        return {"channel": self._channel_info(self._channel(a.get("channel")))}

    def _api_conversations_join(self, a: Record) -> Record:
        channel = self._channel(a.get("channel"))
        need(not channel.get("is_im") and not channel.get("is_private"), "method_not_supported_for_channel_type")
        if self.bot_user_id in self._members[channel["id"]]:
            warned = {"warning": "already_in_channel", "response_metadata": {"warnings": ["already_in_channel"]}}
            return {"channel": self._channel_info(channel), **warned}
        self._members[channel["id"]].append(self.bot_user_id)
        return {"channel": self._channel_info(channel)}

    def _api_conversations_members(self, a: Record) -> Record:
        channel = self._channel(a.get("channel"))
        return {"members": list(self._members[channel["id"]]), "response_metadata": {"next_cursor": ""}}

    def _page(self, messages: list[Record], a: Record, default_limit: int) -> Record:
        limit = int(a.get("limit") or default_limit)
        page = [public_copy(m) for m in messages[:limit]]
        return {"messages": page, "has_more": len(messages) > limit, "response_metadata": {"next_cursor": ""}}

    def _api_conversations_history(self, a: Record) -> Record:
        channel = self._channel(a.get("channel"))
        need(self._bot_in(channel), "not_in_channel")
        oldest, latest = float(a.get("oldest") or 0), float(a.get("latest") or "inf")
        inclusive = flag(a.get("inclusive"))

        def wanted(m: Record) -> bool:
            ts = float(m["ts"])
            in_range = oldest <= ts <= latest if inclusive else oldest < ts < latest
            return in_range and m.get("thread_ts") in (None, m["ts"])

        found = [m for m in reversed(self._messages.get(channel["id"], {}).values()) if wanted(m)]
        return self._page(found, a, 100) | {"pin_count": 0}

    def _api_conversations_replies(self, a: Record) -> Record:
        channel = self._channel(a.get("channel"))
        need(self._bot_in(channel), "not_in_channel")
        root = self._thread_root(channel["id"], a.get("ts"))
        thread = [m for m in self._messages[channel["id"]].values() if root in (m["ts"], m.get("thread_ts"))]
        return self._page(thread, a, 1000)

    def _api_conversations_invite(self, a: Record) -> Record:
        channel = self._channel(a.get("channel"))
        need(not channel.get("is_im"), "method_not_supported_for_channel_type")
        need(self.bot_user_id in self._members[channel["id"]], "not_in_channel")
        users = need(_user_list(a.get("users")), "no_user")
        errors = []
        for user in users:
            if user == self.bot_user_id:
                errors.append({"user": user, "ok": False, "error": "cant_invite_self"})
            elif user not in self._users:
                errors.append({"user": user, "ok": False, "error": "user_not_found"})
            elif user in self._members[channel["id"]]:
                errors.append({"user": user, "ok": False, "error": "already_in_channel"})
        if errors:
            raise ApiError(errors[0]["error"], errors=errors)
        self._members[channel["id"]].extend(users)
        return {"channel": self._channel_info(channel)}

    # ----- users, usergroups

    def _api_users_info(self, a: Record) -> Record:
        return {"user": copy.deepcopy(need(self._users.get(str(a.get("user"))), "user_not_found"))}

    def _api_usergroups_users_list(self, a: Record) -> Record:
        users = self._usergroups.get(str(a.get("usergroup")))
        if users is None:
            raise ApiError("no_such_subteam")
        return {"users": list(users)}

    # ----- views

    def _api_views_open(self, a: Record) -> Record:
        spec, trigger = self._view_arg(a), self._take_trigger(a)
        view = self._build_view(spec)
        trigger["used"], self._stacks[trigger["user"]] = True, [view]
        return {"view": copy.deepcopy(view)}

    def _api_views_push(self, a: Record) -> Record:
        spec, trigger = self._view_arg(a), self._take_trigger(a)
        stack = need(self._stacks.get(trigger["user"]), "not_found")  # nothing open to push onto
        need(len(stack) < MAX_VIEW_STACK, "push_limit_reached")
        view = self._build_view(spec, previous=stack[-1]["id"], root=stack[0]["id"])
        trigger["used"] = True
        stack.append(view)
        return {"view": copy.deepcopy(view)}

    def _api_views_update(self, a: Record) -> Record:
        if bool(a.get("view_id")) == bool(a.get("external_id")):
            raise invalid_arguments("exactly one of view_id or external_id is required")
        views = [v for s in self._stacks.values() for v in s] + list(self._homes.values())
        view_id = a.get("view_id") or next((v["id"] for v in views if v["external_id"] == a["external_id"]), None)
        owner, stack, index = self._locate_view(view_id)
        old = self._view_at(owner, stack, index)
        spec = self._view_arg(a, (old["type"],))
        need(a.get("hash") in (None, "", old["hash"]), "hash_conflict")
        view = self._build_view(spec, old=old)
        if stack is not None:
            stack[index] = view
        else:
            self._homes[owner] = view
        return {"view": copy.deepcopy(view)}

    def _api_views_publish(self, a: Record) -> Record:
        user_id = a.get("user_id")
        need(user_id in self._users, "user_not_found")
        spec, old = self._view_arg(a, ("home",)), self._homes.get(user_id)  # type: ignore[arg-type]
        need(old is None or a.get("hash") in (None, "", old["hash"]), "hash_conflict")
        self._homes[user_id] = view = self._build_view(spec, old=old)  # type: ignore[index]
        return {"view": copy.deepcopy(view)}
