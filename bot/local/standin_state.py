"""Workspace state of the local Slack stand-in and the helpers its Web API methods share."""

from __future__ import annotations

import copy
import secrets
import threading
from collections.abc import Callable
from typing import Any

from bot.local.standin_blocks import (
    MAX_MESSAGE_BLOCKS,
    MAX_TEXT_LENGTH,
    ApiError,
    Record,
    check_blocks,
    need,
    public_copy,
    with_generated_ids,
)


class WorkspaceState:
    """In-memory users, channels, messages and views, and the helpers that read and change them (lock held)."""

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
        self._pins: dict[str, dict[str, Record]] = {}  # channel -> pinned ts -> {created, created_by}, in pin order
        self._stacks: dict[str | None, list[Record]] = {}  # user -> open modals, bottom first
        self._homes: dict[str, Record] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._triggers: dict[str, Record] = {}
        self._files: dict[str, Any] = {}  # file id -> standin_files._Upload, issued by files.getUploadURLExternal
        self._last_ts, self._id_counter = (0, 0), 0

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
