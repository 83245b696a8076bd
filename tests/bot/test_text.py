"""User text in and out of Slack: decoded once on the way in, escaped once for mrkdwn, never able to ping."""

import pytest

from bot.text import TRUNCATION_MARKER, escape, from_slack, mrkdwn, plain, truncate, unescape

TYPED = "<!here> & <tray 2>"


def test_escape_neutralises_broadcasts_mentions_and_links() -> None:
    text = "<!channel> <!here> <@U0ALICE01> <https://evil.example|click> a & b"
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert escaped.startswith("&lt;!channel&gt; &lt;!here&gt; &lt;@U0ALICE01&gt;")
    assert escaped.endswith("a &amp; b")


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("&lt;!here&gt; &amp; &lt;tray 2&gt;", TYPED),  # typed literally: three entities, decoded once
        ("Printer on fire &amp; jammed &lt;tray 2&gt;", "Printer on fire & jammed <tray 2>"),
        ("a typed &amp;amp; and &amp;lt;", "a typed &amp; and &lt;"),  # entities typed by hand survive
        ("&amp;gt;&gt;&amp;", "&gt;>&"),
        ("ping <!here> <!channel> <!everyone>", "ping @here @channel @everyone"),  # tokens never ping again
        ("<!here|here> <!subteam^S0AGENTS1|@support>", "@here @support"),
        ("<!subteam^S0AGENTS1>", "@S0AGENTS1"),
        ("<!date^1700000000^{date}|Nov 14>", "Nov 14"),
        ("ask <@U0BOB0001|bob> or <@U0CAROL01>", "ask @bob or @U0CAROL01"),
        ("in <#C0GENERAL1|general> and <#C0QUEUE01|>", "in #general and #C0QUEUE01"),
        (
            "see <https://x.example/a?b=1&amp;c=2|the docs &amp; more>",
            "see the docs & more (https://x.example/a?b=1&c=2)",
        ),
        ("<https://x.example> <mailto:a@b.example|a@b.example>", "https://x.example a@b.example"),
        ("", ""),
    ],
)
def test_from_slack_gives_back_what_was_typed(sent: str, typed: str) -> None:
    assert from_slack(sent) == typed


def test_from_slack_names_a_mention_without_a_label() -> None:
    names = {"U0CAROL01": "carol"}
    assert from_slack("hi <@U0CAROL01> <@U0NOBODY1>", names.get) == "hi @carol @U0NOBODY1"


def test_unescape_is_one_pass_and_leaves_tokens_alone() -> None:
    assert unescape("&amp;lt; &lt;@U1&gt; <@U2>") == "&lt; <@U1> <@U2>"


@pytest.mark.parametrize(
    ("typed", "as_mrkdwn"),
    [
        (TYPED, "&lt;!here&gt; &amp; &lt;tray 2&gt;"),
        ("@here & @channel", "@here &amp; @channel"),  # words, not tokens: Slack pings nobody
        ("&lt; typed", "&amp;lt; typed"),
        ("*bold* _it_", "*bold* _it_"),
    ],
)
def test_mrkdwn_encodes_exactly_once(typed: str, as_mrkdwn: str) -> None:
    assert mrkdwn(typed) == as_mrkdwn
    assert unescape(mrkdwn(typed)) == typed


def test_plain_text_is_never_encoded() -> None:
    assert plain(TYPED, 150) == TYPED
    assert plain(from_slack("&lt;!here&gt; &amp; &lt;tray 2&gt;"), 150) == TYPED


def test_truncate_marks_the_cut_and_keeps_the_limit() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate("x" * 5000, 3000)
    assert len(cut) <= 3000 and cut.endswith(TRUNCATION_MARKER)


def test_mrkdwn_never_splits_an_escape_sequence() -> None:
    text = "a" * 2985 + "<" * 20
    cut = mrkdwn(text, 3000)
    assert len(cut) <= 3000 and cut.endswith(TRUNCATION_MARKER)
    body = cut.removesuffix(TRUNCATION_MARKER)
    assert body.count("&") == body.count("&lt;")
