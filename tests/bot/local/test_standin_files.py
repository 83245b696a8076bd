"""Slack's file upload flow on the stand-in, over real HTTP: upload URL, the POST of the bytes, completion."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.local.standin import SlackStandIn
from bot.local.standin_files import multipart_file

ALICE, SUPPORT, RANDOM = "U0ALICE01", "C0SUPPORT", "C0RANDOM"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4 + b"\r\n--not-a-boundary\r\n"


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    s = SlackStandIn(clock=lambda: 1_700_000_000.0)
    s.add_user(ALICE, "alice")
    s.add_channel(SUPPORT, "support", members=[s.bot_user_id, ALICE])
    s.add_channel(RANDOM, "random", members=[ALICE])
    with s:
        yield s


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return WebClient(token=standin.bot_token, base_url=standin.api_url)


def api(client: WebClient, method: str, **args: Any) -> dict[str, Any]:
    return dict(client.api_call(method, params=args).data)  # type: ignore[arg-type]


def rejected(client: WebClient, method: str, **args: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as info:
        client.api_call(method, params=args)
    return dict(info.value.response.data)  # type: ignore[arg-type]


def post(url: str, body: bytes, content_type: str = "application/octet-stream") -> tuple[int, str, dict[str, str]]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=5)
    try:
        connection.request("POST", parts.path, body, {"Content-Type": content_type})
        response = connection.getresponse()
        return response.status, response.read().decode(), dict(response.getheaders())
    finally:
        connection.close()


def multipart(content: bytes, boundary: str = "b0und4ry") -> tuple[bytes, str]:
    """A form as requests' files= or curl -F send it: a text field first, then the file."""
    parts = [
        b'Content-Disposition: form-data; name="note"\r\n\r\nnot the file',
        b'Content-Disposition: form-data; name="file"; filename="chart.png"\r\nContent-Type: image/png\r\n\r\n'
        + content,
    ]
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def ticket(client: WebClient, content: bytes = PNG, filename: str = "chart.png") -> tuple[str, str]:
    answer = api(client, "files.getUploadURLExternal", filename=filename, length=len(content))
    return answer["file_id"], answer["upload_url"]


def uploaded(client: WebClient, content: bytes = PNG) -> str:
    file_id, url = ticket(client, content)
    assert post(url, content)[:2] == (200, f"OK - {len(content)}")
    return file_id


def test_the_three_steps_share_the_file_into_the_channel(standin: SlackStandIn, client: WebClient) -> None:
    file_id, url = ticket(client)
    assert url == f"{standin.base_url}upload/{file_id}" and file_id.startswith("F")
    assert post(url, PNG)[:2] == (200, f"OK - {len(PNG)}")
    files = f'[{{"id": "{file_id}", "title": "SLA chart"}}]'
    done = api(client, "files.completeUploadExternal", files=files, channel_id=SUPPORT, initial_comment="This week")
    assert done["files"] == [{"id": file_id, "title": "SLA chart"}]
    [message] = api(client, "conversations.history", channel=SUPPORT)["messages"]
    assert message["text"] == "This week" and message["bot_id"] == standin.bot_id
    [shared] = message["files"]
    assert {k: shared[k] for k in ("id", "name", "title", "mimetype", "size")} == {
        "id": file_id,
        "name": "chart.png",
        "title": "SLA chart",
        "mimetype": "image/png",
        "size": len(PNG),
    }
    assert standin.file_content(file_id) == PNG and standin.file_content(file_id).startswith(b"\x89PNG\r\n\x1a\n")
    assert standin.saved_file(file_id) is None  # no files_dir: nothing is written to disk


def test_a_multipart_upload_into_a_thread(standin: SlackStandIn, client: WebClient) -> None:
    parent = client.chat_postMessage(channel=SUPPORT, text="T-1")["ts"]
    file_id, url = ticket(client)
    assert post(url, *multipart(PNG))[:2] == (200, f"OK - {len(PNG)}")
    files = [{"id": file_id, "title": "chart"}]
    client.api_call("files.completeUploadExternal", json={"files": files, "channel_id": SUPPORT, "thread_ts": parent})
    [reply] = standin.replies(SUPPORT, parent)
    assert reply["files"][0]["id"] == file_id and reply["thread_ts"] == parent and reply["text"] == ""
    assert [m["ts"] for m in standin.messages(SUPPORT)] == [parent]  # a reply, not in the channel's history
    assert standin.file_content(file_id) == PNG


def test_slack_sdks_files_upload_v2_works_against_the_stand_in(standin: SlackStandIn, client: WebClient) -> None:
    answer = client.files_upload_v2(channel=SUPPORT, content=PNG, filename="chart.png", title="SLA chart")
    assert standin.file_content(answer["file"]["id"]) == PNG
    assert standin.messages(SUPPORT)[0]["files"][0]["title"] == "SLA chart"


def test_the_multipart_parser_picks_the_file_field() -> None:
    body, content_type = multipart(PNG)
    assert multipart_file(content_type, body) == PNG
    assert multipart_file("multipart/form-data", body) is None  # no boundary
    only_text = b'--x\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--x--\r\n'
    assert multipart_file("multipart/form-data; boundary=x", only_text) is None


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"length": 10}, "missing required field: filename"),
        ({"filename": "a.png"}, "missing required field: length"),
        ({"filename": "a.png", "length": "ten"}, "invalid value for field: length"),
        ({"filename": "a.png", "length": 0}, "invalid value for field: length"),
    ],
)
def test_an_upload_url_needs_a_filename_and_a_length(client: WebClient, args: dict[str, Any], reason: str) -> None:
    answer = rejected(client, "files.getUploadURLExternal", **args)
    assert answer["error"] == "invalid_arguments" and answer["response_metadata"]["messages"] == [f"[ERROR] {reason}"]


def test_the_upload_post_refuses_unknown_ids_wrong_lengths_and_a_form_without_a_file(
    standin: SlackStandIn, client: WebClient
) -> None:
    assert post(f"{standin.base_url}upload/F0NOSUCH", PNG)[0] == 404
    _, url = ticket(client)
    status, text, _ = post(url, PNG[:-1])
    assert status == 400 and "announced" in text
    assert post(url, b"--x\r\n\r\n--x--\r\n", "multipart/form-data; boundary=x")[0] == 400
    assert post(url, PNG)[0] == 200 and post(url, PNG)[0] == 200  # the bytes may be sent again until completion


def test_completion_is_refused_for_unknown_unsent_and_already_completed_files(
    standin: SlackStandIn, client: WebClient
) -> None:
    def complete(file_id: str, **args: Any) -> dict[str, Any]:
        return rejected(client, "files.completeUploadExternal", files=f'[{{"id": "{file_id}"}}]', **args)

    assert complete("F0NOSUCH")["error"] == "file_not_found"
    never_sent, url = ticket(client)
    assert complete(never_sent)["error"] == "file_not_found"
    file_id = uploaded(client)
    assert complete(file_id, channel_id=RANDOM)["error"] == "not_in_channel"
    assert complete(file_id, channel_id="C0NOSUCH")["error"] == "channel_not_found"
    assert complete(file_id, channel_id=SUPPORT, thread_ts="1.000001")["error"] == "thread_not_found"
    # A refused completion changes nothing: the file can still be completed, once.
    done = api(client, "files.completeUploadExternal", files=f'[{{"id": "{file_id}"}}]', channel_id=SUPPORT)
    assert done["files"] == [{"id": file_id, "title": "chart.png"}]  # the title defaults to the filename
    assert complete(file_id, channel_id=SUPPORT)["error"] == "file_not_found"
    assert post(f"{standin.base_url}upload/{file_id}", PNG)[0] == 404  # the upload URL is spent too
    assert len(standin.messages(SUPPORT)) == 1


@pytest.mark.parametrize("files", [None, "not json", "[]", '[{"title": "no id"}]'])
def test_completion_needs_a_list_of_files_with_ids(client: WebClient, files: str | None) -> None:
    args = {} if files is None else {"files": files}
    assert rejected(client, "files.completeUploadExternal", **args)["error"] == "invalid_arguments"


def test_completion_without_a_channel_keeps_the_file_unshared(standin: SlackStandIn, client: WebClient) -> None:
    file_id = uploaded(client)
    done = api(client, "files.completeUploadExternal", files=f'[{{"id": "{file_id}", "title": "t"}}]')
    assert done["files"] == [{"id": file_id, "title": "t"}] and standin.messages(SUPPORT) == []


def test_failure_injection_reaches_both_methods_and_the_upload_post(standin: SlackStandIn, client: WebClient) -> None:
    standin.fail("files.getUploadURLExternal", status=503)
    with pytest.raises(SlackApiError) as info:
        ticket(client)
    assert info.value.response.status_code == 503
    file_id, url = ticket(client)  # one failure only

    standin.fail("upload", status=503)
    assert post(url, PNG)[:2] == (503, "service_unavailable")
    standin.fail("upload", retry_after=4)
    status, _, headers = post(url, PNG)
    assert (status, headers["Retry-After"]) == (429, "4")
    assert post(url, PNG)[0] == 200

    standin.fail("files.completeUploadExternal", error="internal_error")
    files = f'[{{"id": "{file_id}"}}]'
    answer = rejected(client, "files.completeUploadExternal", files=files, channel_id=SUPPORT)
    assert answer["error"] == "internal_error"
    assert standin.messages(SUPPORT) == []
    api(client, "files.completeUploadExternal", files=files, channel_id=SUPPORT)
    assert standin.messages(SUPPORT)[0]["files"][0]["id"] == file_id


def test_an_outage_reaches_the_upload_post(standin: SlackStandIn, client: WebClient) -> None:
    _, url = ticket(client)
    standin.outage(60)
    assert post(url, PNG)[0] == 503
    standin.clear_failures()
    assert post(url, PNG)[0] == 200


def test_with_files_dir_a_shared_file_is_saved_under_a_safe_name(tmp_path: Path) -> None:
    with SlackStandIn(files_dir=tmp_path / "files") as standin:
        standin.add_channel(SUPPORT, "support", members=[standin.bot_user_id])
        local = WebClient(token=standin.bot_token, base_url=standin.api_url)
        answer = local.files_upload_v2(channel=SUPPORT, content=PNG, filename="../SLA chart.png", title="SLA chart")
        file_id = answer["file"]["id"]
        saved = standin.saved_file(file_id)
        assert saved == str(tmp_path / "files" / f"{file_id}-SLA_chart.png")
        assert Path(saved).read_bytes() == PNG
        unshared = local.files_upload_v2(content=PNG, filename="private.png")["file"]["id"]
        assert standin.saved_file(unshared) is None and standin.saved_file("F0NOSUCH") is None
