"""Similar tickets: which recent tickets look like one problem, by the words of their subjects and by their tags.

Pure functions, no database and no Slack: the caller passes recent open tickets that are not linked to an incident
and decides what to post. Rules a support desk relies on, decided here:

- A subject is reduced to the words that carry meaning (``normalise``): lower-cased, accents folded, ids, numbers,
  dates, times, versions, links and mentions dropped, HTTP status codes generalised (502 and 504 are both ``5xx``),
  stop words and filler dropped (the, can't, please, customer, page, account, today), plurals and verb endings
  folded by a short suffix list (fails, failed, failing → ``fail``; logged in, sign-in → ``login``). English only;
  other languages still match on identical words.
- Two subjects are compared by the share of their words that both have (``similarity``, a weighted Dice score):
  a word naming a thing (checkout, invoice, sso) weighs 3, a word that only names a symptom (fail, error, down,
  slow, 5xx) weighs 1, so "Checkout fails" and "Login fails" do not look alike.
- Two tickets are related when they arrived at most ``window`` apart and either share a tag (case-insensitive,
  whatever their subjects say) or their subjects score at least ``threshold``.
- A cluster is a group of tickets joined by relations, directly or through other tickets (single linkage). It is
  reported when at least ``min_size`` of its tickets arrived within one ``window``; it then lists every ticket
  joined to it, including related ones that arrived a little earlier. Pass only tags that name a problem: a
  category tag on every billing ticket would join them all.
- Two clusters are the same, for remembering a dismissal (or a suggestion already posted), when they have the
  same ``key``. A cluster's founders are its first ``min_size`` tickets (by arrival, then id); its ``tokens`` and
  ``tags`` are those a majority of the founders carry, and the key is a hash of them (of the founders' ids when they
  share nothing by majority, so such clusters never collide). Tickets that arrive later never change the key, so a
  dismissed cluster stays dismissed as it grows. When a founder leaves the input (linked, closed, or older than the
  caller looks back), the next ticket takes its place and the key holds as long as the founders still share the
  same words. A ticket that bridges two clusters makes one, keyed by the earlier founders. Remember a dismissal for
  a limited time: the same words next week may be a new outage.
- Output does not depend on input order. The cost is O(n²) comparisons at worst (every pair within ``window``),
  fine for the few hundred tickets of a recent queue.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Function words, support filler, generic nouns (every subject is about some page or account) and time words.
STOP_WORDS = frozenset(
    """
    a an the and or but if then so as at by for from in into of off on onto out over to up via with without within
    after before during since until while when where why how what which who whom whose this that these those there
    here it its i im ive me my we our us you your they their them he she his her is are was were be been being am
    do does did doing done has have had having can cant cannot could couldnt will wont would wouldnt should shall
    may might must not no nor dont doesnt didnt isnt arent wasnt werent hasnt havent any all some every each also
    just only still again very too more most less now yet anymore ever never always sometimes use used using
    please pls help urgent asap hi hello hey thanks re fw fwd cc issue problem question request ticket
    customer client user someone anyone everyone people team unable able keep seem get got try
    page app site website screen system platform account feature option tool thing
    today yesterday tomorrow morning afternoon evening tonight week day hour minute
    monday tuesday wednesday thursday friday saturday sunday
    january february march april june july august september october november december
    """.split()
)
# Words that say what went wrong but not where; they weigh a third of a word that names a thing.
SYMPTOMS = frozenset(
    """
    fail error broken broke break down slow crash miss wrong stuck hang freeze frozen timeout work load show
    blank empty incorrect invalid unavailable outage delay lag glitch bug 4xx 5xx
    """.split()
)
THING_WEIGHT, SYMPTOM_WEIGHT = 3, 1
# Verbs whose stem loses its final e with -ing or -ed: "charging", "charged" → "charge".
_E_WORDS = frozenset(
    """
    arrive cache change charge close complete configure create decline delete disable enable freeze generate invite
    merge move parse price purchase receive remove resolve save schedule share store subscribe time update upgrade
    validate
    """.split()
)
# Nouns that end in -ing and should keep it: "settings" is not about setting something.
_ING_NOUNS = frozenset({"setting", "pending", "meeting", "heading", "listing"})
# Two-word spellings of one thing, matched on stems: "logged in", "sign-in" → "login", "e-mails" → "email".
_PHRASES = {
    **{("log", second): "login" for second in ("in", "into", "on")},
    **{("sign", second): "login" for second in ("in", "into", "on")},
    **{(first, second): "logout" for first in ("log", "sign") for second in ("out", "off")},
    ("sign", "up"): "signup",
    ("set", "up"): "setup",
    ("time", "out"): "timeout",
    ("e", "mail"): "email",
}
_SYNONYMS = {"signin": "login", "logon": "login", "signout": "logout", "logoff": "logout"}
_NOISE = re.compile(
    r"https?://\S+|www\.\S+"  # links
    r"|\S+@\S+|@\w+"  # email addresses, mentions
    r"|\b[a-z]{1,6}-\d+\b|#\d+"  # ticket and incident keys (T-12, INC-7), numbers like #4411
    r"|\b\d{4}-\d{1,2}-\d{1,2}(?:t[\d:.]+z?)?\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"  # dates
    r"|\bv?\d+(?:\.\d+)+\b"  # versions and decimals: 2.3.1, v2.3, 1.5
    r"|\b\d{1,2}(?::\d{2}){1,2}\b|\b\d{1,2}\s*[ap]\.?m\b"  # times: 14:30, 9am, 9 pm
)
_WORD = re.compile(r"[^\W_]+")
_QUANTITY = re.compile(r"\d+(?:k|m|x|s|h|d|ms|kb|mb|gb|tb|min|mins|sec|secs|hr|hrs|st|nd|rd|th)")
_HEX_ID = re.compile(r"[0-9a-f]{6,}")


def normalise(subject: str) -> frozenset[str]:
    """The words of a ticket subject that carry meaning, folded so that spellings of one word match.

    >>> sorted(normalise("Checkout fails with 502"))
    ['5xx', 'checkout', 'fail']
    >>> sorted(normalise("Payments failed at checkout since 9am"))
    ['checkout', 'fail', 'payment']
    >>> sorted(normalise("Re: T-1234 can't log in to the dashboard (v2.3.1)"))
    ['dashboard', 'login']
    """
    text = unicodedata.normalize("NFKC", subject).casefold()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _NOISE.sub(" ", re.sub(r"['’‘`]", "", text))  # apostrophes first, so "can't" is one word: "cant"
    words = _WORD.findall(text)
    tokens: set[str] = set()
    index = 0
    while index < len(words):
        word = words[index]
        phrase = _PHRASES.get((_stem(word), _stem(words[index + 1]))) if index + 1 < len(words) else None
        index += 2 if phrase else 1
        token = phrase or _token(word)
        if token and len(token) > 1 and token not in STOP_WORDS:
            tokens.add(token)
    return frozenset(tokens)


def _token(word: str) -> str | None:
    if word.isdigit():  # amounts, counts, order numbers, years; a status code keeps its class
        return word[0] + "xx" if len(word) == 3 and word[0] in "45" else None
    if not word.isalpha():  # "2fa", "s3" and "oauth2" stay; ids ("a1b2c3d4", "inv20931") and sizes ("10mb") go
        digits = sum(c.isdigit() for c in word)
        if digits >= 3 or _HEX_ID.fullmatch(word) or _QUANTITY.fullmatch(word):
            return None
        return word
    if word in STOP_WORDS:
        return None
    stem = _stem(word)
    return _SYNONYMS.get(stem, stem)


def _stem(word: str) -> str:
    """Fold plural and verb endings: payments → payment, replies → reply, crashes → crash, logged → log.

    Deliberately small: words of 3 letters or fewer stay, -s stays after ss/us/is/os/as (access, status, ios),
    -ed stays after e (speed, need), and a stem must keep 3 letters and a vowel (thing, string, red stay).
    """
    if len(word) <= 3 or not word.isascii():
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return _restore(word[:-2])
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "os", "as")):
        word = word[:-1]  # "meetings" goes on to the -ing rule, which keeps "meeting"
    if word in _ING_NOUNS:
        return word
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and not word.endswith("eed"):
            stem = word[: -len(suffix)]
            if len(stem) >= 3 and any(vowel in stem for vowel in "aeiouy"):
                return _restore(stem)
    return word


def _restore(stem: str) -> str:
    if stem + "e" in _E_WORDS:
        return stem + "e"
    if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "flsz":  # logged → log, but billed → bill
        return stem[:-1]
    return stem


def _weight(tokens: Iterable[str]) -> int:
    return sum(SYMPTOM_WEIGHT if token in SYMPTOMS else THING_WEIGHT for token in tokens)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """How alike two normalised subjects are, from 0.0 (nothing shared) to 1.0 (the same words).

    The weighted Dice score: twice the weight of the shared words over the weight of both subjects, i.e. the
    share of all the words written in the two subjects that the other subject also has. Unlike the overlap
    coefficient (shared / smaller), a short subject does not match every longer one that mentions its one word;
    unlike Jaccard (shared / union), two short subjects that share their main word still reach 0.5. A symptom
    word weighs 1 and any other word 3, so symptoms alone stay below 0.5: "Checkout fails with 502" and "Webhooks
    failing with 504" score 0.4 (0.67 at equal weights, 0.5 at half weight). A subject with no meaningful words
    ("Help!!") is similar to nothing.

    >>> similarity(normalise("Checkout fails with 502"), normalise("checkout failing for EU customers"))
    0.6666666666666666
    >>> similarity(normalise("Checkout fails"), normalise("Login fails"))
    0.25
    >>> similarity(normalise("Checkout fails with 502"), normalise("Webhooks failing with 504"))
    0.4
    """
    if not a or not b:
        return 0.0
    return 2 * _weight(a & b) / (_weight(a) + _weight(b))


@dataclass(frozen=True)
class Item:
    """A ticket as similarity sees it: its id, subject, arrival time (timezone-aware) and tags."""

    id: int
    subject: str
    at: datetime
    tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.at, datetime) or self.at.utcoffset() is None:
            raise ValueError(f"ticket {self.id}: `at` must be a timezone-aware datetime, got {self.at!r}")
        if isinstance(self.tags, str):
            raise TypeError(f"ticket {self.id}: tags must be a set of tags, not the string {self.tags!r}")
        object.__setattr__(self, "tags", frozenset(self.tags))


@dataclass(frozen=True)
class Cluster:
    """Tickets that look like one problem: their ids (ascending), the words and tags their founders share, a key."""

    ids: tuple[int, ...]
    tokens: frozenset[str]
    tags: frozenset[str]
    key: str


def _tag(tag: str) -> str:
    return unicodedata.normalize("NFKC", tag).strip().lstrip("#").strip().casefold()


def find_clusters(
    items: Sequence[Item], *, min_size: int = 3, threshold: float = 0.5, window: timedelta
) -> list[Cluster]:
    """Groups of related tickets with at least `min_size` arrived within one `window`, earliest group first.

    Items are recent open tickets not linked to an incident; the module docstring states how they are grouped.
    """
    if min_size < 2:
        raise ValueError(f"min_size must be at least 2 (one ticket is not a pattern), got {min_size}")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be above 0 and at most 1, got {threshold}")
    if not isinstance(window, timedelta) or window <= timedelta(0):
        raise ValueError(f"window must be a positive timedelta, got {window!r}")
    repeated = sorted(id for id, count in Counter(item.id for item in items).items() if count > 1)
    if repeated:
        raise ValueError(f"each ticket must appear once; repeated: {', '.join(map(str, repeated))}")
    ordered = sorted(items, key=lambda item: (item.at, item.id))
    words = [normalise(item.subject) for item in ordered]
    tags = [frozenset(filter(None, map(_tag, item.tags))) for item in ordered]

    parent = list(range(len(ordered)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(ordered)):
        for j in range(i + 1, len(ordered)):
            if ordered[j].at - ordered[i].at > window:
                break  # sorted by arrival: every later ticket is further away
            if tags[i] & tags[j] or similarity(words[i], words[j]) >= threshold:
                low, high = sorted((root(i), root(j)))
                parent[high] = low

    groups: dict[int, list[int]] = {}
    for i in range(len(ordered)):
        groups.setdefault(root(i), []).append(i)
    clusters = []
    for members in groups.values():  # keyed by their earliest member, so in order of first arrival
        times = [ordered[i].at for i in members]
        if not any(times[k + min_size - 1] - times[k] <= window for k in range(len(members) - min_size + 1)):
            continue
        founders = members[:min_size]
        majority = len(founders) // 2 + 1
        shared_words = _majority((words[i] for i in founders), majority)
        shared_tags = _majority((tags[i] for i in founders), majority)
        ids = tuple(sorted(ordered[i].id for i in members))
        key = _key(shared_words, shared_tags, [ordered[i].id for i in founders])
        clusters.append(Cluster(ids=ids, tokens=shared_words, tags=shared_tags, key=key))
    return clusters


def _majority(sets: Iterable[frozenset[str]], at_least: int) -> frozenset[str]:
    counts = Counter(value for values in sets for value in values)
    return frozenset(value for value, count in counts.items() if count >= at_least)


def _key(tokens: frozenset[str], tags: frozenset[str], founder_ids: list[int]) -> str:
    # Founders that share nothing by majority are keyed by who they are, so unrelated clusters never collide.
    if tokens or tags:
        basis = "words:" + " ".join(sorted(tokens)) + "|tags:" + " ".join(sorted(tags))
    else:
        basis = "tickets:" + " ".join(map(str, sorted(founder_ids)))
    return hashlib.sha256(basis.encode()).hexdigest()[:12]
