"""Channel lifecycle and pins for the local Slack stand-in: conversations.create/archive/setTopic, pins.*.

The rules modelled, as Slack applies them:
- A channel name is 1 to 80 characters of lower-case letters, digits, hyphens and underscores, and not only hyphens
  and underscores. Letters of scripts without case count as lower case, as Slack allows non-Latin names. A name stays
  taken after its channel is archived. Slack documents ``invalid_name`` without saying when it comes; the stand-in gives
  it for a name that is not a string at all (a JSON number, say).
- An archived channel keeps its members, history and pins, but refuses posts and topic changes (``is_archived``).
- A topic is at most 250 characters; an empty one clears it.
- A pin is a (channel, message ts) pair. pins.list and pins() show the message as it is now, so an edited summary
  shows its edit; a deleted message loses its pin. A pinned message carries ``pinned_to`` in history as on Slack.
  pins.list lists the latest pin first (Slack does not document the order).
- Not modelled: the system messages Slack posts for these actions (channel_join, channel_topic, pinned_item,
  channel_archive), and names reserved by users or user groups.
"""

from __future__ import annotations

from typing import Any

from bot.local.standin_blocks import ApiError, Record, flag, invalid_arguments, need, public_copy
from bot.local.standin_state import WorkspaceState

MAX_CHANNEL_NAME, MAX_TOPIC = 80, 250


def channel_name_error(name: Any) -> str | None:
    """The error Slack gives conversations.create for this name, or None when the name is valid."""
    if not isinstance(name, str):
        return "invalid_name_required" if name is None else "invalid_name"
    if not name:
        return "invalid_name_required"
    if len(name) > MAX_CHANNEL_NAME:
        return "invalid_name_maxlength"
    if any(not (c in "-_" or (c.isalnum() and c == c.lower())) for c in name):
        return "invalid_name_specials"
    if not name.strip("-_"):
        return "invalid_name_punctuation"
    return None


class ChannelsMethods(WorkspaceState):
    """conversations.create, .archive and .setTopic, pins.add/.list/.remove, and the archive/pins helpers. Mixed into
    SlackStandIn, whose add_channel builds the channel record and whose _inspect shapes pins() like messages()."""

    def _api_conversations_create(self, a: Record) -> Record:
        name, private = a.get("name"), flag(a.get("is_private"))
        error = channel_name_error(name)
        if error:
            raise ApiError(error)
        need(all(c.get("name") != name for c in self._channels.values()), "name_taken")  # archived ones too
        channel_id = self._new_id("C")
        while channel_id in self._channels:  # a seeded id may look like a generated one
            channel_id = self._new_id("C")
        self.add_channel(channel_id, name, members=[self.bot_user_id], is_private=private)  # type: ignore[attr-defined]
        self._channels[channel_id]["creator"] = self.bot_user_id
        return {"channel": self._channel_info(self._channels[channel_id])}

    def _api_conversations_archive(self, a: Record) -> Record:
        channel = self._channel(a.get("channel"))
        need(not channel.get("is_im"), "method_not_supported_for_channel_type")
        need(not channel["is_archived"], "already_archived")
        need(self._bot_in(channel), "not_in_channel")
        channel["is_archived"] = True
        return {}

    def _api_conversations_setTopic(self, a: Record) -> Record:
        if "topic" not in a:
            raise invalid_arguments("missing required field: topic")
        channel, topic = self._channel(a.get("channel")), str(a["topic"])
        need(not channel.get("is_im"), "method_not_supported_for_channel_type")
        need(self._bot_in(channel), "not_in_channel")
        need(not channel["is_archived"], "is_archived")
        need(len(topic) <= MAX_TOPIC, "too_long")
        channel["topic"] = {"value": topic, "creator": self.bot_user_id, "last_set": int(self._clock())}
        return {"channel": self._channel_info(channel)}

    # ----- pins

    def _pin_target(self, a: Record) -> tuple[Record, dict[str, Record], Record]:
        """(channel, its pins by ts, the message) named by channel and timestamp."""
        channel = self._channel(a.get("channel"))
        need(a.get("timestamp"), "no_item_specified")
        message = need(self._find_message(channel["id"], a["timestamp"]), "message_not_found")
        return channel, self._pins.setdefault(channel["id"], {}), message

    def _api_pins_add(self, a: Record) -> Record:
        channel, pins, message = self._pin_target(a)
        need(message["ts"] not in pins, "already_pinned")
        pins[message["ts"]] = {"created": int(self._clock()), "created_by": self.bot_user_id}
        message["pinned_to"] = [channel["id"]]
        return {}

    def _api_pins_remove(self, a: Record) -> Record:
        _, pins, message = self._pin_target(a)
        need(message["ts"] in pins, "no_pin")
        del pins[message["ts"]]
        message.pop("pinned_to", None)
        return {}

    def _pinned(self, channel_id: str) -> list[tuple[Record, Record]]:
        """(pin, message) of the channel's pins whose message still exists, latest pin first."""
        found = [(pin, self._find_message(channel_id, ts)) for ts, pin in self._pins.get(channel_id, {}).items()]
        return [(pin, message) for pin, message in reversed(found) if message is not None]

    def _api_pins_list(self, a: Record) -> Record:
        channel_id = self._channel(a.get("channel"))["id"]
        pinned = self._pinned(channel_id)
        return {
            "items": [{"type": "message", "channel": channel_id, "message": public_copy(m), **p} for p, m in pinned]
        }

    # ----- seeding and inspection (public on SlackStandIn)

    def archive_channel(self, channel_id: str) -> None:
        """Mark a seeded channel archived, as if someone had archived it in Slack."""
        with self._lock:
            if channel_id not in self._channels or self._channels[channel_id].get("is_im"):
                raise ValueError(f"unknown channel {channel_id!r}: add it with add_channel first")
            self._channels[channel_id]["is_archived"] = True

    def pins(self, channel: str) -> list[Record]:
        """The channel's pinned messages as they are now, shaped like messages(), latest pin first."""
        with self._lock:
            return [self._inspect(message) for _, message in self._pinned(channel)]  # type: ignore[attr-defined]
