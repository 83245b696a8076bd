"""HTTP plumbing of the local Slack stand-in: the request handler, Web API dispatch and response_url posts."""

from __future__ import annotations

import copy
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from bot.local.standin_blocks import ApiError, Record, decode_json_args
from bot.local.standin_failures import FailureInjection, _Answer
from bot.local.standin_methods import WebApiMethods
from bot.slack_limits import TokenBucket, bucket_for

if TYPE_CHECKING:
    from bot.local.standin import SlackStandIn

log = logging.getLogger("bot.local.standin")  # the stand-in's one logger, whichever module logs

RESPONSE_URL_MAX_POSTS = 5


@dataclass
class Call:
    """One Web API call as the stand-in received and answered it (failed and injected failures included)."""

    method: str
    args: dict[str, Any]
    status: int
    response: dict[str, Any] | None
    at: float


class HttpPlumbing(FailureInjection, WebApiMethods):
    """Turns HTTP requests into Web API calls and response_url posts, and records every call."""

    bot_token: str
    base_url: str
    post_response: Callable[..., str | None]
    _hooks: dict[str, Record]
    _response_posts: list[Record]
    _calls: list[Call]
    latency: float = 0.0
    # When set, calls beyond Slack's documented limits (bot/slack_limits.py) are answered 429 with Retry-After.
    pace: bool = False
    _pace_buckets: dict[str, TokenBucket]

    def _serve_api(self, method: str, query: str, headers: Any, body: bytes) -> _Answer:
        args: Record = dict(parse_qsl(query, keep_blank_values=True))
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        parse_error: str | None = None
        if body and content_type == "application/json":
            try:
                data = json.loads(body)
            except ValueError:
                data, parse_error = None, "invalid_json"
            if isinstance(data, dict):
                args.update(data)
            parse_error = parse_error or (None if isinstance(data, dict) else "json_not_object")
        elif body and content_type in ("application/x-www-form-urlencoded", ""):
            args.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        elif body:
            parse_error = "invalid_form_data"  # multipart (file uploads) is not modelled
        bearer, token = headers.get("Authorization") or "", args.pop("token", None)
        token = bearer.removeprefix("Bearer ") if bearer.startswith("Bearer ") else token
        with self._lock:
            answer = self._answer(method, args, token, parse_error)
            self._calls.append(Call(method, copy.deepcopy(args), answer[0], copy.deepcopy(answer[2]), self._clock()))
        if self.latency:
            # Slack has acted before the answer travels back: a caller that dies now never learns that it did.
            time.sleep(self.latency)
        return answer

    def _answer(self, method: str, args: Record, token: str | None, parse_error: str | None) -> _Answer:
        injected = self._injected(method) or self._over_pace(method, args)
        if injected:
            return injected
        implementation = self._api_method(method)
        error = "unknown_method" if implementation is None else parse_error
        if error is None and token != self.bot_token:
            error = "invalid_auth" if token else "not_authed"
        if error or implementation is None:
            return 200, {}, {"ok": False, "error": error}
        try:
            decode_json_args(args)
            return 200, {}, {"ok": True, **implementation(args)}
        except ApiError as exc:
            return 200, {}, exc.body
        except Exception:  # a stand-in bug: answer like Slack's own failures, but make it visible in the log
            log.exception("SlackStandIn failed on %s", method)
            return 500, {}, {"ok": False, "error": "internal_error"}

    def _over_pace(self, method: str, args: Record) -> _Answer | None:
        if not self.pace:
            return None
        now = datetime.fromtimestamp(self._clock(), UTC)
        channel = args.get("channel") if isinstance(args.get("channel"), str) else None
        found = bucket_for(method, channel, now)
        if found is None:
            return None
        key, fresh = found
        wait = self._pace_buckets.setdefault(key, fresh).take(now)
        if wait.total_seconds() == 0:
            return None
        return 429, {"Retry-After": str(max(math.ceil(wait.total_seconds()), 1))}, {"ok": False, "error": "ratelimited"}

    def _serve_response_url(self, hook_id: str, body: bytes) -> tuple[int, str]:
        with self._lock:
            hook = self._hooks.get(hook_id)
            try:
                data: Any = json.loads(body)
            except ValueError:
                data = body.decode("utf-8", "replace")
            if hook is None or hook["uses"] >= RESPONSE_URL_MAX_POSTS:
                status, text = 404, "no_active_hooks"
            elif not isinstance(data, dict):
                status, text = 400, "invalid_payload"
            else:
                context = {k: hook[k] for k in ("channel", "user", "message_ts")}
                error = self.post_response(data, **context)
                status, text = (400, error) if error else (200, "ok")
                hook["uses"] += 0 if error else 1
            url = hook["url"] if hook else f"{self.base_url}response/{hook_id}"
            self._response_posts.append({"url": url, "body": data, "status": status, "at": self._clock()})
            return status, text


class _Handler(BaseHTTPRequestHandler):
    standin: SlackStandIn  # bound per server in SlackStandIn.start
    server_version = "SlackStandIn/1.0"

    def do_POST(self) -> None:
        self._handle()

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the call log is in SlackStandIn.calls(); stderr noise would only clutter test output

    def _handle(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, extra, raw, content_type = 404, {}, b"not found", "text/plain; charset=utf-8"
        if url.path.startswith("/api/"):
            status, extra, payload = self.standin._serve_api(url.path[5:], url.query, self.headers, body)
            raw, content_type = json.dumps(payload).encode(), "application/json; charset=utf-8"
        elif url.path.startswith("/response/"):
            status, text = self.standin._serve_response_url(url.path.removeprefix("/response/"), body)
            raw = text.encode()
        elif url.path.startswith("/upload/"):
            sent_as = self.headers.get("Content-Type") or ""
            status, extra, text = self.standin._serve_upload(url.path.removeprefix("/upload/"), sent_as, body)
            raw = text.encode()
        self.send_response(status)
        for name, value in {"Content-Type": content_type, "Content-Length": str(len(raw)), **extra}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)
