"""Slack's file uploads for the local stand-in: files.getUploadURLExternal, the POST of the bytes to the upload URL,
and files.completeUploadExternal, which shares the file into a channel or thread.

The rules modelled, as Slack applies them:
- getUploadURLExternal needs a filename and a length (a positive whole number of bytes); it answers a file id and an
  upload_url on this server.
- The bytes go to upload_url as the raw body, or as the ``file`` field of a multipart form (what curl -F and requests'
  files= send); the answer is 200 ``OK - <length>``. An id never issued, or one already completed, gets 404. Bytes
  whose length is not the one announced get 400, so a client that miscounts finds out here rather than on Slack.
- completeUploadExternal takes ``files`` ([{"id", "title"}], a JSON string when form-encoded) and optionally
  channel_id, thread_ts and initial_comment. An unknown id, a file whose bytes never arrived, or one completed before
  gives ``file_not_found``: an upload ticket is single use. With channel_id the bot posts one message carrying the
  files, and the comment as its text; without it the files stay unshared.
- fail(), outage() and rate_limit() reach the upload POST too, under the name ``upload``: fail("upload", status=503).
- Not modelled: ``channels`` (several at once), snippets, files.info/list/delete, and Slack's asynchronous sharing
  (here the message is in the channel as soon as the call answers).
"""

from __future__ import annotations

import json
import logging
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.local.standin_blocks import WORKSPACE_URL, Record, invalid_arguments, need
from bot.local.standin_state import WorkspaceState

log = logging.getLogger("bot.local.standin")

UPLOAD = "upload"  # what fail(), outage() and rate_limit() call the POST of a file's bytes to its upload_url
_NAME = re.compile(r'\bname="([^"]*)"')


@dataclass
class _Upload:
    id: str
    name: str
    length: int
    alt_txt: str
    created: int
    content: bytes | None = None
    title: str = ""
    completed: bool = False
    saved: str | None = None


class FilesMethods(WorkspaceState):
    """files.getUploadURLExternal, the upload POST and files.completeUploadExternal; mixed into SlackStandIn, which
    serves /upload/<file_id> and sets files_dir."""

    base_url: str
    files_dir: Path | None
    _files: dict[str, _Upload]
    _injected: Callable[[str], tuple[int, dict[str, str], Record] | None]

    def _upload_url(self, file_id: str) -> str:
        return f"{self.base_url}upload/{file_id}"

    def _api_files_getUploadURLExternal(self, a: Record) -> Record:
        filename, length = a.get("filename"), a.get("length")
        for name, value in (("filename", filename), ("length", length)):
            if value is None or value == "":
                raise invalid_arguments(f"missing required field: {name}")
        if not isinstance(filename, str) or not filename.strip():
            raise invalid_arguments("invalid value for field: filename")
        if isinstance(length, bool) or not str(length).isdigit() or int(length) < 1:
            raise invalid_arguments("invalid value for field: length")
        file_id = self._new_id("F")
        alt_txt = str(a.get("alt_txt") or "")
        self._files[file_id] = _Upload(file_id, filename, int(length), alt_txt, int(self._clock()))
        return {"upload_url": self._upload_url(file_id), "file_id": file_id}

    def _serve_upload(self, file_id: str, content_type: str, body: bytes) -> tuple[int, dict[str, str], str]:
        """Take the bytes POSTed to a file's upload_url: (status, headers, text) as files.slack.com answers."""
        with self._lock:
            injected = self._injected(UPLOAD)
            if injected:
                status, headers, answer = injected
                return (status if status != 200 else 400), headers, str(answer.get("error"))
            upload = self._files.get(file_id)
            if upload is None or upload.completed:
                return 404, {}, "file_not_found"
            is_form = content_type.split(";")[0].strip().lower() == "multipart/form-data"
            content = multipart_file(content_type, body) if is_form else body
            if content is None:
                return 400, {}, "no file in the multipart form"
            if len(content) != upload.length:
                return 400, {}, f"got {len(content)} bytes, files.getUploadURLExternal announced {upload.length}"
            upload.content = content
            return 200, {}, f"OK - {len(content)}"

    def _api_files_completeUploadExternal(self, a: Record) -> Record:
        entries = _file_entries(a.get("files"))
        found = [self._files.get(str(entry["id"])) for entry in entries]
        uploads = [u for u in found if u is not None and u.content is not None and not u.completed]
        need(len(uploads) == len(entries), "file_not_found")
        if len({entry["id"] for entry in entries}) != len(entries):
            raise invalid_arguments("a file id is listed twice [json-pointer:/files]")
        channel, thread_ts = None, None
        if a.get("channel_id"):
            channel = self._channel(a["channel_id"])
            need(not channel.get("is_archived"), "is_archived")
            need(self._bot_in(channel), "not_in_channel")
            thread_ts = self._thread_root(channel["id"], a["thread_ts"]) if a.get("thread_ts") else None
        elif a.get("thread_ts"):
            raise invalid_arguments("thread_ts needs channel_id")
        content = self._content({"text": str(a.get("initial_comment") or "")}, required=False)
        # Every check is done: from here on the call changes state and cannot fail.
        for upload, entry in zip(uploads, entries, strict=True):
            upload.completed, upload.title = True, str(entry.get("title") or upload.name)
        if channel is not None:
            message = self._bot_message(content) | {"upload": True, "display_as_bot": False}
            self._store_message(channel["id"], message | {"files": [self._file_object(u) for u in uploads]}, thread_ts)
            self._save(uploads)
        return {"files": [{"id": u.id, "title": u.title} for u in uploads]}

    def _file_object(self, upload: _Upload) -> Record:
        mimetype = mimetypes.guess_type(upload.name)[0] or "application/octet-stream"
        found = {"id": upload.id, "created": upload.created, "timestamp": upload.created, "name": upload.name}
        found |= {"title": upload.title, "mimetype": mimetype, "filetype": Path(upload.name).suffix.lstrip(".")}
        found |= {"user": self.bot_user_id, "size": upload.length, "mode": "hosted", "is_external": False}
        permalink = f"{WORKSPACE_URL}files/{self.bot_user_id}/{upload.id}/{upload.name}"
        return found | {"permalink": permalink} | ({"alt_txt": upload.alt_txt} if upload.alt_txt else {})

    def _save(self, uploads: list[_Upload]) -> None:
        """In local mode, put shared files where the person at the console can open them."""
        if self.files_dir is None:
            return
        for upload in uploads:
            safe = re.sub(r"[^\w.-]+", "_", Path(upload.name).name).lstrip(".") or "file"
            path = self.files_dir / f"{upload.id}-{safe}"
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(upload.content or b"")
            except OSError as error:  # Slack has shared the file all the same; only the local copy is missing
                log.warning("could not save %s to %s: %s", upload.id, path, error)
            else:
                upload.saved = str(path)

    # ----- inspection (public on SlackStandIn)

    def file_content(self, file_id: str) -> bytes:
        """The bytes uploaded for a file id; KeyError when none arrived."""
        with self._lock:
            content = self._files[file_id].content
        if content is None:
            raise KeyError(file_id)
        return content

    def saved_file(self, file_id: str) -> str | None:
        """Where local mode saved a shared file (files_dir/<id>-<name>), to show the person; None if it did not."""
        with self._lock:
            upload = self._files.get(file_id)
            return upload.saved if upload else None


def _file_entries(value: Any) -> list[Record]:
    if value is None or value == "":
        raise invalid_arguments("missing required field: files")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise invalid_arguments("invalid json [json-pointer:/files]") from None
    if not isinstance(value, list) or not value:
        raise invalid_arguments("must be a non-empty array [json-pointer:/files]")
    for index, entry in enumerate(value):
        if not isinstance(entry, dict) or not entry.get("id"):
            raise invalid_arguments(f"missing required field: id [json-pointer:/files/{index}]")
    return value


def multipart_file(content_type: str, body: bytes) -> bytes | None:
    """The ``file`` field of a multipart/form-data body (else its first part with a filename); None when it has none."""
    params = (p.strip() for p in content_type.split(";")[1:])
    boundary = next((p.removeprefix("boundary=").strip('"') for p in params if p.startswith("boundary=")), "")
    if not boundary:
        return None
    parts: list[tuple[str, bool, bytes]] = []
    for part in body.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):  # the closing delimiter
            break
        head, sep, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        disposition = next((x for x in lines if x.lower().startswith("content-disposition:")), "")
        name = _NAME.search(disposition)
        if sep:  # the delimiter's CRLF belongs to the delimiter, not to the data
            parts.append((name.group(1) if name else "", "filename=" in disposition, data.removesuffix(b"\r\n")))
    named = [data for field, _, data in parts if field == "file"]
    return (named or [data for _, has_filename, data in parts if has_filename] or [None])[0]
