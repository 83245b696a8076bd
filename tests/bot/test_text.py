"""User text can never ping anyone or break a message, and long text is cut visibly."""

from bot.text import TRUNCATION_MARKER, escape, mrkdwn, truncate


def test_escape_neutralises_broadcasts_mentions_and_links() -> None:
    text = "<!channel> <!here> <@U0ALICE01> <https://evil.example|click> a & b"
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert escaped.startswith("&lt;!channel&gt; &lt;!here&gt; &lt;@U0ALICE01&gt;")
    assert escaped.endswith("a &amp; b")


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
