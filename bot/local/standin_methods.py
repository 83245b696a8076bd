"""Web API method implementations for the local Slack stand-in (Block Kit checks live in standin_blocks)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from bot.local.standin_blocks import _ID_ALPHABET as _ID_ALPHABET
from bot.local.standin_blocks import (
    MAX_MESSAGE_BLOCKS,
    MAX_TEXT_LENGTH,
    MAX_VIEW_BLOCKS,
    MAX_VIEW_STACK,
    TRIGGER_TTL_SECONDS,
    WORKSPACE_URL,
    ApiError,
    Record,
    block_errors,
    check_blocks,
    check_view,
    decode_json_args,
    flag,
    interactive_elements,
    invalid_arguments,
    need,
    public_copy,
    random_id,
    with_generated_ids,
)
from bot.local.standin_channels import ChannelsMethods
from bot.local.standin_views import ViewsMethods

__all__ = [
    "MAX_MESSAGE_BLOCKS",
    "MAX_TEXT_LENGTH",
    "MAX_VIEW_BLOCKS",
    "MAX_VIEW_STACK",
    "TRIGGER_TTL_SECONDS",
    "WORKSPACE_URL",
    "ApiError",
    "Record",
    "WebApiMethods",
    "block_errors",
    "check_blocks",
    "check_view",
    "decode_json_args",
    "flag",
    "interactive_elements",
    "invalid_arguments",
    "need",
    "public_copy",
    "random_id",
    "with_generated_ids",
]


def _with_metadata(message: Record, include: bool) -> Record:
    copied = public_copy(message)
    if include and "_metadata" in message:
        copied["metadata"] = copy.deepcopy(message["_metadata"])
    return copied


def _user_list(value: Any) -> list[str]:
    return [u.strip() for u in str(value or "").split(",") if u.strip()]


class WebApiMethods(ChannelsMethods, ViewsMethods):
    """Slack Web API methods (``_api_<method>``) over the workspace state; all run with the state's lock held."""

    def _api_method(self, method: str) -> Callable[[Record], Record] | None:
        return getattr(self, "_api_" + method.replace(".", "_"), None)

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
        need(not channel.get("is_archived"), "is_archived")
        content = self._content(a)
        need(self._bot_in(channel), "not_in_channel")
        thread_ts = self._thread_root(channel["id"], a["thread_ts"]) if a.get("thread_ts") else None
        if channel["id"] not in self._channels:  # open the DM only now that the call can no longer fail
            self._dm_for(target)  # type: ignore[arg-type]
        message = self._bot_message(content)
        if isinstance(a.get("username"), str) and a["username"]:  # chat:write.customize: shown as that name
            message["username"] = a["username"][:80]
        if thread_ts and str(a.get("reply_broadcast", "")).lower() in ("true", "1"):
            message["subtype"] = "thread_broadcast"  # the reply shows in the channel too
        if isinstance(a.get("metadata"), dict):  # returned by history/replies only with include_all_metadata
            message["_metadata"] = copy.deepcopy(a["metadata"])
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
        start = int(str(a.get("cursor") or "0").removeprefix("next:") or 0)
        metadata = flag(a.get("include_all_metadata"))
        page = [_with_metadata(m, metadata) for m in messages[start : start + limit]]
        more = len(messages) > start + limit
        cursor = f"next:{start + limit}" if more else ""
        return {"messages": page, "has_more": more, "response_metadata": {"next_cursor": cursor}}

    def _api_conversations_history(self, a: Record) -> Record:
        channel = self._channel(a.get("channel"))
        need(self._bot_in(channel), "not_in_channel")
        oldest, latest = float(a.get("oldest") or 0), float(a.get("latest") or "inf")
        inclusive = flag(a.get("inclusive"))

        def wanted(m: Record) -> bool:
            ts = float(m["ts"])
            in_range = oldest <= ts <= latest if inclusive else oldest < ts < latest
            return in_range and (m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast")

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
