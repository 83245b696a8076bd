"""The views.* Web API methods of the local Slack stand-in."""

from __future__ import annotations

import copy

from bot.local.standin_blocks import (
    MAX_VIEW_STACK,
    TRIGGER_TTL_SECONDS,
    Record,
    check_view,
    invalid_arguments,
    need,
)
from bot.local.standin_state import WorkspaceState


class ViewsMethods(WorkspaceState):
    """views.open, views.push, views.update and views.publish over the workspace state."""

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
