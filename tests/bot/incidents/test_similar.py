"""Table tests for similar tickets: what a subject reduces to, which subjects look alike, and how clusters form."""

from __future__ import annotations

import doctest
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.incidents import similar
from bot.incidents.similar import Cluster, Item, find_clusters, normalise, similarity

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def ticket(id: int, subject: str, minute: float = 0, tags: frozenset[str] = frozenset()) -> Item:
    return Item(id=id, subject=subject, at=T0 + minute * MINUTE, tags=tags)


def clusters(*items: Item, window: timedelta = HOUR, **options: object) -> list[Cluster]:
    return find_clusters(items, window=window, **options)


def test_the_docstring_examples_hold() -> None:
    assert doctest.testmod(similar).failed == 0


@pytest.mark.parametrize(
    ("subject", "tokens"),
    [
        ("Checkout fails with 502", {"checkout", "fail", "5xx"}),
        ("checkout failing for EU customers", {"checkout", "fail", "eu"}),
        ("Payments failed at checkout since 9am", {"payment", "fail", "checkout"}),
        ("Can't log in to the dashboard", {"login", "dashboard"}),
        ("Login broken after SSO change", {"login", "broken", "sso", "change"}),
        ("Users logged out and can't sign in again", {"logout", "login"}),
        ("Invoice PDF missing logo", {"invoice", "pdf", "miss", "logo"}),
        ("Re: T-1234 password reset emails delayed", {"password", "reset", "email", "delay"}),
        ("Webhooks failing with 504 since 2024-05-01", {"webhook", "fail", "5xx"}),
        ("Refund not processed for order #4411", {"refund", "process", "order"}),
        ("Attachment upload fails for files > 10MB", {"attachment", "upload", "fail", "file"}),
        ("Crash in build 4f9a2c1e on iOS 17.2", {"crash", "build", "ios"}),
        ("Sync delayed 14:30 on 03/05/2024", {"sync", "delay"}),
        ("Order 20931 invoice INV-2024 PDF", {"order", "invoice", "pdf"}),
        ("Link https://acme.example/checkout broken for bob@acme.com, cc @alice", {"link", "broken"}),
        ("2FA codes not arriving", {"2fa", "code", "arrive"}),
        ("S3 uploads > 5GB fail, 1st try", {"s3", "upload", "fail"}),
        ("Charging twice: card charged 2x", {"charge", "card", "twice"}),
        ("Settings page won't save", {"setting", "save"}),
        ("ＣＨＥＣＫＯＵＴ ｆａｉｌｓ", {"checkout", "fail"}),
        ("Café menu: accents broken", {"cafe", "menu", "accent", "broken"}),
        ("Zahlungsfehler bei Überweisung", {"zahlungsfehler", "bei", "uberweisung"}),
        ("Help!!", set()),
        ("Urgent: please help", set()),
        ("", set()),
    ],
)
def test_normalise_keeps_the_words_that_carry_meaning(subject: str, tokens: set[str]) -> None:
    assert normalise(subject) == tokens


@pytest.mark.parametrize(
    ("spellings", "token"),
    [
        (["fail", "fails", "failed", "failing"], "fail"),
        (["error", "errors", "erroring"], "error"),
        (["payment", "payments"], "payment"),
        (["login", "logins", "log in", "logged in", "logging into", "log-in", "sign in", "sign-in", "signin"], "login"),
        (["logout", "log out", "logged out", "signed out", "log off"], "logout"),
        (["timeout", "timeouts", "time out", "timed out", "timing out", "time-out"], "timeout"),
        (["email", "emails", "e-mail", "E-Mails"], "email"),
        (["reply", "replies"], "reply"),
        (["crash", "crashes", "crashed", "crashing"], "crash"),
        (["cache", "caches", "cached"], "cache"),
        (["charge", "charges", "charged", "charging"], "charge"),
        (["update", "updates", "updated", "updating"], "update"),
        (["ship", "ships", "shipped", "shipping"], "ship"),
        (["bill", "bills", "billed", "billing"], "bill"),
        (["setting", "settings"], "setting"),
    ],
)
def test_normalise_folds_plurals_verb_endings_and_two_word_spellings(spellings: list[str], token: str) -> None:
    assert {subject: normalise(subject) for subject in spellings} == {subject: {token} for subject in spellings}


@pytest.mark.parametrize("word", ["access", "status", "ios", "dns", "speed", "string", "red"])
def test_normalise_leaves_words_that_only_look_inflected(word: str) -> None:
    assert normalise(word) == {word}


# Pairs a support manager would call the same problem, and pairs they would not, with the score at the default 0.5.
SIMILAR = [
    ("Checkout fails with 502", "checkout failing for EU customers", 0.667),
    ("Checkout fails with 502", "Payments failed at checkout since 9am", 0.667),
    ("Checkout fails with 502", "Checkout down", 0.667),
    ("checkout failing for EU customers", "Payments failed at checkout since 9am", 0.571),
    ("Payments failed at checkout since 9am", "Card payments declined at checkout after 2.3.1 release", 0.545),
    ("Can't log in to the dashboard", "Login fails", 0.6),
    ("Can't log in to the dashboard", "Users logged out and can't sign in again", 0.5),
    ("Login broken after SSO change", "SSO login redirect loop", 0.545),
    ("Invoice PDF missing logo", "Logo not showing on invoices", 0.706),
    ("Export to CSV times out", "CSV export timing out for large accounts", 0.824),
    ("Password reset email not arriving", "Re: T-1234 password reset emails delayed", 0.818),
    ("Mobile app crashes on iOS 17", "App crashing on startup (iOS)", 0.571),
    ("Can't upload attachments", "Attachment upload fails for files > 10MB", 0.75),
    ("Dashboard slow", "Dashboard not loading", 0.75),
    ("Settings page won't save", "Can't save my settings", 1.0),
]
NOT_SIMILAR = [
    # Only the symptom is shared: what is broken differs.
    ("Checkout fails", "Login fails", 0.25),
    ("Checkout fails with 502", "Webhooks failing with 504 since 2024-05-01", 0.4),
    ("Dashboard not loading", "Reports not loading", 0.25),
    # The same thing, different problems.
    ("Checkout fails with 502", "Checkout button colour wrong", 0.4),
    ("Invoice PDF missing logo", "Invoice total wrong for annual plan", 0.261),
    # Related only through a third ticket ("Payments failed at checkout"): clusters join them, the pair alone does not.
    ("Checkout fails with 502", "Card payments declined at checkout after 2.3.1 release", 0.3),
    ("Can't log in to the dashboard", "Login broken after SSO change", 0.375),
    # A limit of word matching: different words for the same trouble do not meet.
    ("Refund not processed for order #4411", "Refunds stuck in pending", 0.375),
    # Nothing meaningful to compare.
    ("Help!!", "Help!!", 0.0),
    ("Invoice PDF missing logo", "SSO login redirect loop", 0.0),
]


@pytest.mark.parametrize(("first", "second", "score"), SIMILAR, ids=[f"{a} ~ {b}" for a, b, _ in SIMILAR])
def test_similar_subjects_reach_the_default_threshold(first: str, second: str, score: float) -> None:
    assert similarity(normalise(first), normalise(second)) == pytest.approx(score, abs=0.001)
    assert score >= 0.5


@pytest.mark.parametrize(("first", "second", "score"), NOT_SIMILAR, ids=[f"{a} !~ {b}" for a, b, _ in NOT_SIMILAR])
def test_unrelated_subjects_stay_below_the_default_threshold(first: str, second: str, score: float) -> None:
    assert similarity(normalise(first), normalise(second)) == pytest.approx(score, abs=0.001)
    assert score < 0.5


def test_similarity_is_symmetric_and_one_for_the_same_words() -> None:
    a, b = normalise("Checkout fails with 502"), normalise("checkout failing for EU customers")
    assert similarity(a, b) == similarity(b, a)
    assert similarity(a, a) == 1.0
    assert similarity(frozenset(), a) == similarity(a, frozenset()) == 0.0


CHECKOUT = [
    ticket(1, "Checkout fails with 502", 0),
    ticket(2, "checkout failing for EU customers", 10),
    ticket(3, "Payments failed at checkout since 9am", 20),
]
NOISE = [
    ticket(11, "Invoice PDF missing logo", 5),
    ticket(12, "Can't log in to the dashboard", 15),
    ticket(13, "Export to CSV times out", 25),
]


def test_three_similar_tickets_within_the_window_form_a_cluster() -> None:
    [cluster] = clusters(*CHECKOUT, *NOISE)

    assert cluster.ids == (1, 2, 3)
    assert cluster.tokens == {"checkout", "fail"}
    assert cluster.tags == frozenset()


def test_fewer_tickets_than_min_size_form_no_cluster() -> None:
    assert clusters(*CHECKOUT[:2], *NOISE) == []
    assert [c.ids for c in clusters(*CHECKOUT[:2], *NOISE, min_size=2)] == [(1, 2)]
    assert clusters(*CHECKOUT, min_size=4) == []


def test_a_higher_threshold_asks_for_closer_subjects() -> None:
    # The pairs score 0.667, 0.667 and 0.571.
    assert [c.ids for c in clusters(*CHECKOUT, threshold=0.6)] == [(1, 2, 3)]  # 2 and 3 meet through 1
    assert clusters(*CHECKOUT, threshold=0.7) == []


def test_tickets_further_apart_than_the_window_are_not_related() -> None:
    spread = [
        ticket(1, "Checkout fails with 502", 0),
        ticket(2, "Checkout fails", 61),
        ticket(3, "Checkout fails", 122),
    ]
    assert clusters(*spread) == []
    assert clusters(*spread, min_size=2) == []
    assert [c.ids for c in clusters(*spread, window=61 * MINUTE, min_size=2)] == [(1, 2, 3)]
    assert [c.ids for c in clusters(*spread, window=122 * MINUTE)] == [(1, 2, 3)]


def test_a_cluster_needs_min_size_tickets_within_one_window() -> None:
    # Each neighbour is 50 minutes from the next, so they are related, but no hour holds three of them.
    trickle = [ticket(id, "Checkout fails with 502", 50 * id) for id in range(1, 5)]
    assert clusters(*trickle) == []
    assert [c.ids for c in clusters(*trickle, ticket(9, "Checkout down", 120))] == [(1, 2, 3, 4, 9)]


def test_a_cluster_keeps_the_related_tickets_that_led_up_to_it() -> None:
    lead_up = ticket(7, "Checkout fails", -50)
    [cluster] = clusters(lead_up, *CHECKOUT)
    assert cluster.ids == (1, 2, 3, 7)


def test_tickets_join_through_a_shared_neighbour() -> None:
    # "Card payments declined at checkout" scores 0.3 with ticket 1 but 0.545 with ticket 3.
    declined = ticket(4, "Card payments declined at checkout after 2.3.1 release", 30)
    [cluster] = clusters(*CHECKOUT, declined)
    assert cluster.ids == (1, 2, 3, 4)


def test_separate_problems_form_separate_clusters_in_order_of_arrival() -> None:
    login = [
        ticket(21, "Can't log in to the dashboard", -5),
        ticket(22, "Login fails", 12),
        ticket(23, "Users logged out and can't sign in again", 22),
    ]
    found = clusters(*CHECKOUT, *login, *NOISE[:1])

    assert [(c.ids, c.tokens) for c in found] == [((21, 22, 23), {"login"}), ((1, 2, 3), {"checkout", "fail"})]
    assert found[0].key != found[1].key


def test_sharing_a_tag_relates_tickets_whatever_their_subjects() -> None:
    tagged = [
        ticket(1, "Invoice PDF missing logo", 0, frozenset({"Outage-EU"})),
        ticket(2, "Can't log in to the dashboard", 5, frozenset({"outage-eu", "vip"})),
        ticket(3, "Export to CSV times out", 10, frozenset({" #OUTAGE-EU "})),
    ]
    [cluster] = clusters(*tagged)

    assert cluster.ids == (1, 2, 3)
    assert cluster.tags == {"outage-eu"}
    assert cluster.tokens == frozenset()


def test_a_tag_relates_tickets_only_within_the_window() -> None:
    tagged = [ticket(id, "Help!!", 40 * id, frozenset({"outage-eu"})) for id in range(1, 4)]
    assert clusters(*tagged, window=30 * MINUTE) == []


def test_the_key_stays_when_tickets_join() -> None:
    before = clusters(*CHECKOUT)[0]
    # A later ticket changes neither the founders nor their shared words, even when it words things differently.
    after = clusters(*CHECKOUT, ticket(4, "Checkout down", 30), ticket(5, "Card payments declined at checkout", 35))[0]

    assert after.ids == (1, 2, 3, 4, 5)
    assert after.key == before.key
    assert after.tokens == before.tokens


def test_the_key_stays_when_a_founder_leaves_and_the_others_say_the_same() -> None:
    grown = [*CHECKOUT, ticket(4, "Checkout failing on mobile", 30)]
    without_first = clusters(*grown[1:])[0]

    assert without_first.ids == (2, 3, 4)
    assert without_first.key == clusters(*grown)[0].key


def test_the_key_changes_when_the_founders_come_to_share_other_words() -> None:
    # Without ticket 1 the founders are 2, 3 and 4, and two of them now say "payment": a narrower problem.
    grown = [*CHECKOUT, ticket(4, "Checkout fails for all payments", 30)]
    without_first = clusters(*grown[1:])[0]

    assert without_first.tokens == {"checkout", "fail", "payment"}
    assert without_first.key != clusters(*grown)[0].key


def test_a_ticket_that_bridges_two_clusters_merges_them_under_the_earlier_key() -> None:
    checkout = [ticket(id, "Checkout fails", 2 * id) for id in (1, 2, 3)]
    cards = [ticket(id, "Card payments declined", 2 * id) for id in (4, 5, 6)]
    apart = clusters(*checkout, *cards)
    # 0.571 with "Checkout fails", 0.632 with "Card payments declined".
    [merged] = clusters(*checkout, *cards, ticket(7, "Card payments fail at checkout", 14))

    assert [c.ids for c in apart] == [(1, 2, 3), (4, 5, 6)]
    assert merged.ids == (1, 2, 3, 4, 5, 6, 7)
    assert merged.key == apart[0].key


def test_the_key_depends_only_on_the_shared_words() -> None:
    reworded = [
        ticket(31, "Checkout failing again", 0),
        ticket(32, "Checkout fails on mobile", 3),
        ticket(33, "checkout failed twice", 6),
    ]
    assert clusters(*reworded)[0].key == clusters(*CHECKOUT)[0].key
    # A hash of "words:checkout fail|tags:", the same on every machine and in every run.
    assert clusters(*CHECKOUT)[0].key == "79f610286887"


def test_a_cluster_with_no_shared_words_or_tags_gets_a_key_from_its_founders() -> None:
    chain = [
        ticket(1, "Invoice PDF missing logo", 0, frozenset({"a"})),
        ticket(2, "SSO login redirect loop", 5, frozenset({"a"})),
        ticket(3, "Export to CSV times out", 10, frozenset({"b"})),
        ticket(4, "Reports not loading", 15, frozenset({"b"})),
        ticket(5, "Mobile app crashes", 20, frozenset({"a", "b"})),
    ]
    found = clusters(*chain, min_size=4)
    moved = clusters(*[ticket(item.id + 100, item.subject, item.at.minute, item.tags) for item in chain], min_size=4)

    assert (found[0].tokens, found[0].tags) == (frozenset(), frozenset())
    assert found[0].key != moved[0].key


def test_input_order_does_not_change_the_output() -> None:
    items = [*CHECKOUT, *NOISE, ticket(4, "Checkout down", 30), ticket(21, "Login fails", 1), ticket(22, "Login", 2)]
    expected = clusters(*items, min_size=2)
    shuffler = random.Random(7)
    for _ in range(20):
        shuffler.shuffle(items)
        assert clusters(*items, min_size=2) == expected


def test_ties_in_arrival_are_broken_by_id() -> None:
    same_time = [ticket(id, "Checkout fails", 0) for id in (5, 3, 9)]
    [cluster] = clusters(*same_time)
    assert cluster.ids == (3, 5, 9)


def test_no_tickets_or_one_ticket_form_no_cluster() -> None:
    assert clusters() == []
    assert clusters(CHECKOUT[0], min_size=2) == []


def test_a_window_boundary_is_inclusive_and_time_zones_do_not_matter() -> None:
    berlin = timezone(timedelta(hours=2))
    items = [
        ticket(1, "Checkout fails", 0),
        Item(id=2, subject="Checkout fails", at=(T0 + 30 * MINUTE).astimezone(berlin)),
        ticket(3, "Checkout fails", 60),
    ]
    assert [c.ids for c in clusters(*items)] == [(1, 2, 3)]


def test_five_hundred_recent_tickets_cluster_by_problem() -> None:
    subjects = ["Checkout fails with 502", "Can't log in to the dashboard", "Invoice PDF missing logo", "Help!!"]
    items = [ticket(id, subjects[id % 4], id * 0.1) for id in range(500)]
    found = clusters(*items)
    assert sorted(len(c.ids) for c in found) == [125, 125, 125]


def test_item_keeps_tags_as_a_frozenset() -> None:
    assert Item(id=1, subject="x", at=T0, tags={"vip"}).tags == frozenset({"vip"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Item(id=1, subject="x", at=datetime(2026, 5, 4, 9)), ValueError, "ticket 1: `at` must be"),
        (lambda: Item(id=1, subject="x", at=T0, tags="vip"), TypeError, "not the string 'vip'"),
        (lambda: clusters(CHECKOUT[0], CHECKOUT[0]), ValueError, "repeated: 1"),
        (lambda: clusters(min_size=1), ValueError, "min_size must be at least 2"),
        (lambda: clusters(threshold=0), ValueError, "threshold must be above 0"),
        (lambda: clusters(threshold=1.5), ValueError, "at most 1, got 1.5"),
        (lambda: clusters(window=timedelta(0)), ValueError, "window must be a positive timedelta"),
    ],
    ids=["naive-time", "tags-as-string", "repeated-id", "min-size", "zero-threshold", "big-threshold", "no-window"],
)
def test_bad_input_is_refused_with_a_sentence_naming_it(
    make: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make()
