"""The fake X's world: users, tweets, DMs, stream rules, and the scenario controls tests script.

Everything here is pure and synchronous: no sockets, no sleeping, no event loop. The server asks
this state what to answer; tests and benchmarks build the world and arm failures through the
same object. Time comes from an injectable clock so tests can move it.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, NamedTuple

from connectors.common.fake_server import TimedRequest

# The fake X keeps its rate windows in epoch seconds, as X's headers give them.
EpochClock = Callable[[], float]
AuthKind = Literal["app", "user"]
Malformation = Literal["missing_created_at", "invalid_json"]
ReferenceType = Literal["replied_to", "quoted", "retweeted"]
StreamLinePlan = Literal["send", "send_then_cut", "cut_mid_line", "cut_before"]
Listener = Callable[["Tweet"], None]

# X ids are snowflakes: milliseconds since this epoch, shifted left by 22 bits.
X_EPOCH_MS = 1288834974657
SNOWFLAKE_TIME_SHIFT = 22
FIFTEEN_MINUTES = 900
MAX_QUERY_LENGTH = 512
# Applied to a credential kind an endpoint has no documented limit for.
FALLBACK_RATE_LIMIT_CALLS = 900

ENDPOINTS = frozenset(
    {
        "me",
        "mentions",
        "user_tweets",
        "search",
        "lookup",
        "create_tweet",
        "delete_tweet",
        "dm",
        "stream",
        "rules",
    }
)

MENTION_PATTERN = re.compile(r"(?<![\w@])@(\w{1,15})")
HASHTAG_PATTERN = re.compile(r"(?<![\w#])#(\w*[^\W\d]\w*)")


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    limit: int
    window_seconds: int = FIFTEEN_MINUTES


# X's documented per-15-minute limits, per app (bearer) and per user (OAuth 1.0a).
DEFAULT_RATE_LIMITS: Mapping[str, Mapping[AuthKind, RateLimitPolicy]] = {
    "me": {"user": RateLimitPolicy(75)},
    "mentions": {"app": RateLimitPolicy(450), "user": RateLimitPolicy(180)},
    "user_tweets": {"app": RateLimitPolicy(1500), "user": RateLimitPolicy(900)},
    "search": {"app": RateLimitPolicy(450), "user": RateLimitPolicy(180)},
    "lookup": {"app": RateLimitPolicy(300), "user": RateLimitPolicy(900)},
    "create_tweet": {"user": RateLimitPolicy(200)},
    "delete_tweet": {"user": RateLimitPolicy(50)},
    "dm": {"user": RateLimitPolicy(200)},
    "stream": {"app": RateLimitPolicy(50)},
    "rules": {"app": RateLimitPolicy(450)},
}


class Refusal(Exception):
    """X declining to do what was asked, in X's problem shape (title, detail, type, status)."""

    def __init__(self, status: int, title: str, detail: str, problem_type: str = "about:blank"):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.problem_type = problem_type


class QueryError(ValueError):
    """A search query or stream rule X would reject; the message says why."""


@dataclass(slots=True)
class User:
    id: str
    username: str
    name: str
    created_at: datetime
    description: str = ""
    location: str | None = None
    verified: bool = False
    protected: bool = False
    followers_count: int = 0
    following_count: int = 0
    tweet_count: int = 0


@dataclass(frozen=True, slots=True)
class MentionEntity:
    start: int
    end: int
    username: str
    user_id: str | None


@dataclass(frozen=True, slots=True)
class HashtagEntity:
    start: int
    end: int
    tag: str


@dataclass(frozen=True, slots=True)
class ReferencedTweet:
    type: ReferenceType
    id: str


@dataclass(frozen=True, slots=True)
class Media:
    """A picture, video or animation attached to a tweet, as X's media object describes it:
    `url` for a photo only, `preview_image_url` for a video or an animation."""

    media_key: str
    type: Literal["photo", "video", "animated_gif"]
    width: int
    height: int
    url: str | None = None
    preview_image_url: str | None = None
    alt_text: str | None = None


@dataclass(slots=True)
class Tweet:
    id: str
    text: str
    author_id: str
    author_username: str
    created_at: datetime
    conversation_id: str
    lang: str
    in_reply_to_user_id: str | None = None
    referenced: tuple[ReferencedTweet, ...] = ()
    mentions: tuple[MentionEntity, ...] = ()
    hashtags: tuple[HashtagEntity, ...] = ()
    media: tuple[Media, ...] = ()
    deleted: bool = False
    reply_count: int = 0
    retweet_count: int = 0
    quote_count: int = 0
    like_count: int = 0
    # Search matches case-insensitively; fold once rather than on every query.
    folded_text: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.folded_text = self.text.casefold()

    @property
    def number(self) -> int:
        return int(self.id)

    def references(self, kind: ReferenceType) -> str | None:
        return next((ref.id for ref in self.referenced if ref.type == kind), None)


@dataclass(frozen=True, slots=True)
class DirectMessage:
    dm_event_id: str
    dm_conversation_id: str
    sender_id: str
    participant_id: str
    text: str
    created_at: datetime


Predicate = Callable[[Tweet], bool]


@dataclass(frozen=True, slots=True)
class StreamRule:
    id: str
    value: str
    tag: str | None
    predicate: Predicate = field(compare=False, repr=False)


class SeenRequest(NamedTuple):
    method: str
    path: str
    query: dict[str, str]


@dataclass(frozen=True, slots=True)
class RateDecision:
    limit: int
    remaining: int
    reset: int
    allowed: bool


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where a pagination token points: the page older or newer than a boundary tweet."""

    direction: Literal["older", "newer"]
    boundary: int


@dataclass(frozen=True, slots=True)
class PageWindow:
    """Which part of a timeline a request asks for, in X's terms."""

    max_results: int
    since_id: int | None = None
    until_id: int | None = None
    cursor: PageCursor | None = None
    accept: Predicate | None = None  # further filters: search query, start/end time, exclude


@dataclass(frozen=True, slots=True)
class PageSelection:
    tweets: list[Tweet]  # newest first
    has_older: bool
    has_newer: bool


@dataclass(slots=True)
class _Window:
    reset_at: int
    used: int = 0


@dataclass(slots=True)
class _Storm:
    remaining_calls: int
    reset_after_seconds: float


@dataclass(slots=True)
class _Failure:
    status: int
    remaining_calls: int


@dataclass(slots=True)
class _StreamCut:
    lines_before_cut: int
    mid_line: bool


# --- search query syntax ------------------------------------------------------------------------

# One token: a parenthesis (maybe negated), `OR`, or a clause: a quoted phrase or a bare word,
# either maybe negated. Anything else (an unclosed quote) fails the scan.
_QUERY_TOKEN = re.compile(
    r'\s*(?:(?P<open>-?\()|(?P<close>\))|(?P<neg>-)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s()"]+)))'
)
_OPERATOR = re.compile(r"^(?P<name>[a-z_]+):(?P<value>\S+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: Literal["open", "close", "or", "phrase", "word"]
    text: str = ""
    negated: bool = False


def _scan_query(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(query):
        if query[position:].strip() == "":
            break
        match = _QUERY_TOKEN.match(query, position)
        if match is None:
            raise QueryError(f"unbalanced quotes near position {position}")
        position = match.end()
        tokens.append(_token_of(match))
    return tokens


def _token_of(match: re.Match[str]) -> _Token:
    if match["open"] is not None:
        return _Token("open", negated=match["open"].startswith("-"))
    if match["close"] is not None:
        return _Token("close")
    negated = match["neg"] is not None
    if match["phrase"] is not None:
        return _Token("phrase", match["phrase"], negated)
    if match["word"] == "OR" and not negated:
        return _Token("or")
    return _Token("word", match["word"], negated)


def _word_pattern(term: str) -> re.Pattern[str]:
    # A term matches whole words, case-insensitively: "tweepy" finds "#Tweepy" but not "tweepyx".
    return re.compile(r"(?<!\w)" + re.escape(term.casefold()) + r"(?!\w)")


def _text_predicate(term: str) -> Predicate:
    pattern = _word_pattern(term)
    return lambda tweet: pattern.search(tweet.folded_text) is not None


def _mention_predicate(handle: str) -> Predicate:
    wanted = handle.casefold()
    return lambda tweet: any(m.username.casefold() == wanted for m in tweet.mentions)


def _hashtag_predicate(tag: str) -> Predicate:
    wanted = tag.casefold()
    return lambda tweet: any(h.tag.casefold() == wanted for h in tweet.hashtags)


def _user_matcher(
    value: str, usernames: Callable[[str], str | None]
) -> Callable[[str | None], bool]:
    wanted = value.removeprefix("@").casefold()

    def matches(user_id: str | None) -> bool:
        if user_id is None:
            return False
        username = usernames(user_id)
        return user_id == wanted or (username is not None and username.casefold() == wanted)

    return matches


def _is_predicate(value: str) -> Predicate | None:
    checks: dict[str, Predicate] = {
        "retweet": lambda tweet: tweet.references("retweeted") is not None,
        "reply": lambda tweet: tweet.references("replied_to") is not None,
        "quote": lambda tweet: tweet.references("quoted") is not None,
    }
    return checks.get(value.casefold())


def _has_predicate(value: str) -> Predicate | None:
    checks: dict[str, Predicate] = {
        "mentions": lambda tweet: bool(tweet.mentions),
        "hashtags": lambda tweet: bool(tweet.hashtags),
        "links": lambda tweet: "http://" in tweet.text or "https://" in tweet.text,
    }
    return checks.get(value.casefold())


class _QueryParser:
    """Recursive descent over X's query grammar: OR binds looser than the implicit AND."""

    def __init__(self, tokens: list[_Token], usernames: Callable[[str], str | None]):
        self._tokens = tokens
        self._position = 0
        self._usernames = usernames

    def parse(self) -> Predicate | None:
        predicate = self._alternatives()
        if self._position < len(self._tokens):
            raise QueryError("unbalanced parentheses: unexpected ')'")
        return predicate

    def _peek(self) -> _Token | None:
        return self._tokens[self._position] if self._position < len(self._tokens) else None

    def _alternatives(self) -> Predicate | None:
        options = [self._conjunction()]
        while (token := self._peek()) is not None and token.kind == "or":
            self._position += 1
            options.append(self._conjunction())
        kept = [option for option in options if option is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else (lambda tweet: any(p(tweet) for p in kept))

    def _conjunction(self) -> Predicate | None:
        clauses: list[Predicate] = []
        while (token := self._peek()) is not None and token.kind not in ("or", "close"):
            clause = self._clause()
            if clause is not None:
                clauses.append(clause)
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else (lambda tweet: all(p(tweet) for p in clauses))

    def _clause(self) -> Predicate | None:
        token = self._tokens[self._position]
        self._position += 1
        if token.kind == "open":
            inner = self._alternatives()
            closing = self._peek()
            if closing is None or closing.kind != "close":
                raise QueryError("unbalanced parentheses: missing ')'")
            self._position += 1
            return _negate(inner) if token.negated else inner
        positive = _text_predicate(token.text) if token.kind == "phrase" else self._word(token.text)
        return _negate(positive) if token.negated else positive

    def _word(self, word: str) -> Predicate | None:
        if word.startswith("@") and len(word) > 1:
            return _mention_predicate(word[1:])
        if word.startswith("#") and len(word) > 1:
            return _hashtag_predicate(word[1:])
        operator = _OPERATOR.match(word)
        if operator is None or word.startswith("http"):
            return _text_predicate(word)
        return self._operator(operator["name"].casefold(), operator["value"])

    def _operator(self, name: str, value: str) -> Predicate | None:
        if name == "from":
            author = _user_matcher(value, self._usernames)
            return lambda tweet: author(tweet.author_id)
        if name == "to":
            recipient = _user_matcher(value, self._usernames)
            return lambda tweet: recipient(tweet.in_reply_to_user_id)
        if name == "lang":
            return lambda tweet: tweet.lang == value.casefold()
        if name == "conversation_id":
            return lambda tweet: tweet.conversation_id == value
        if name == "is":
            return _is_predicate(value)
        if name == "has":
            return _has_predicate(value)
        # X has dozens more operators; the fake ignores the ones it does not model.
        return None


def _negate(predicate: Predicate | None) -> Predicate | None:
    if predicate is None:
        return None
    return lambda tweet: not predicate(tweet)


def compile_query(query: str, usernames: Callable[[str], str | None]) -> Predicate:
    """A predicate for X's search syntax (a practical subset); raises QueryError when invalid."""
    if not query.strip():
        raise QueryError("the query is empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(f"the query is longer than {MAX_QUERY_LENGTH} characters")
    predicate = _QueryParser(_scan_query(query), usernames).parse()
    return predicate if predicate is not None else (lambda tweet: True)


# --- the world ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def format_time(moment: datetime) -> str:
    """X's timestamp form: always milliseconds, always UTC, e.g. 2026-03-02T09:15:00.000Z.

    Cached: a page renders the same instants again and again, and strftime was most of the
    fake's cost per page."""
    utc = moment.astimezone(UTC).replace(microsecond=0)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _as_utc(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    while number:
        number, remainder = divmod(number, 36)
        out.append(digits[remainder])
    return "".join(reversed(out)) or "0"


class FakeX:
    """The fake X: its world, what it observed, and the failures armed for upcoming calls.

    `clock` returns epoch seconds (tests pass their own to move time); `keepalive_seconds` is
    the silence after which the filtered stream writes a `\\r\\n`. Script it from the event
    loop's thread: only the hand-off of new tweets to open streams is thread-safe.
    """

    def __init__(self, *, clock: EpochClock = time.time, keepalive_seconds: float = 20.0) -> None:
        self.clock = clock
        self.keepalive_seconds = keepalive_seconds
        # What the fake observed, for tests and benchmarks to assert on.
        self.requests: list[SeenRequest] = []
        self.timed_requests: list[TimedRequest] = []
        self.reads = 0
        # Every tweet delivered, by id: X bills each delivery as a read.
        self.reads_by_tweet: Counter[str] = Counter()
        self.posted: list[Tweet] = []
        self.dms: list[DirectMessage] = []
        self._users: dict[str, User] = {}
        self._user_ids_by_username: dict[str, str] = {}
        self._tweets: dict[str, Tweet] = {}
        self._numbers: list[int] = []  # every tweet id, ascending
        self._numbers_by_author: dict[str, list[int]] = {}
        self._numbers_mentioning: dict[str, list[int]] = {}
        self._live_texts: Counter[tuple[str, str]] = Counter()
        self._blocks: set[tuple[str, str]] = set()  # (blocker, blocked)
        self._rules: dict[str, StreamRule] = {}
        self._listeners: list[Listener] = []
        self._last_snowflake = 0
        self._generated_user_ids = itertools.count(9_100_000_000_000_000)  # burst() authors
        self._page_tokens: dict[str, PageCursor] = {}
        self._rate_policies: dict[str, dict[AuthKind, RateLimitPolicy]] = {
            endpoint: dict(policies) for endpoint, policies in DEFAULT_RATE_LIMITS.items()
        }
        self._windows: dict[tuple[str, str], _Window] = {}
        self._storms: dict[str, _Storm] = {}
        self._failures: dict[str, _Failure] = {}
        self._delays: dict[str, float] = {}
        self._holds: dict[str, float] = {}
        self._malformations: dict[str, Malformation] = {}
        self._stream_cut: _StreamCut | None = None

    # --- time and ids ---

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _snowflake(self, at: datetime) -> int:
        from_time = (int(at.timestamp() * 1000) - X_EPOCH_MS) << SNOWFLAKE_TIME_SHIFT
        # Ids only ever grow, even for tweets scripted with a creation time in the past.
        self._last_snowflake = max(from_time, self._last_snowflake + 1)
        return self._last_snowflake

    # --- world building ---

    def add_user(
        self,
        id: str,
        username: str,
        name: str | None = None,
        *,
        created_at: datetime | None = None,
        description: str = "",
        location: str | None = None,
        verified: bool = False,
        protected: bool = False,
        followers_count: int = 0,
    ) -> str:
        """Add an account; returns its id (so `brand = fake.add_user(...)` reads well)."""
        if not id.isdigit():
            raise ValueError(f"X user ids are digits, got {id!r}")
        if username.casefold() in self._user_ids_by_username:
            raise ValueError(f"username {username!r} is taken")
        self._users[id] = User(
            id=id,
            username=username,
            name=name if name is not None else username,
            created_at=_as_utc(created_at or datetime(2012, 3, 4, 5, 6, 7, tzinfo=UTC)),
            description=description,
            location=location,
            verified=verified,
            protected=protected,
            followers_count=followers_count,
        )
        self._user_ids_by_username[username.casefold()] = id
        return id

    def post(
        self,
        author_id: str,
        text: str,
        *,
        reply_to: str | None = None,
        quote_of: str | None = None,
        created_at: datetime | None = None,
        lang: str = "en",
        tweet_id: str | None = None,
        media: Sequence[Media] = (),
    ) -> str:
        """Publish a tweet as `author_id`; returns its id. Replies follow the conversation.

        `tweet_id` pins the id (to replay recorded tweets); otherwise ids grow like snowflakes.
        `media`: its attachments (X allows four pictures, or one video or animation).
        """
        author = self._require_user(author_id)
        replied = self._require_tweet(reply_to) if reply_to is not None else None
        quoted = self._require_tweet(quote_of) if quote_of is not None else None
        moment = _as_utc(created_at) if created_at is not None else _as_utc(self.now())
        number = self._claim_id(tweet_id, moment)
        references: list[ReferencedTweet] = []
        if replied is not None:
            references.append(ReferencedTweet("replied_to", replied.id))
        if quoted is not None:
            references.append(ReferencedTweet("quoted", quoted.id))
        tweet = Tweet(
            id=str(number),
            text=text,
            author_id=author.id,
            author_username=author.username,
            created_at=moment,
            conversation_id=replied.conversation_id if replied is not None else str(number),
            lang=lang,
            in_reply_to_user_id=replied.author_id if replied is not None else None,
            referenced=tuple(references),
            mentions=self._mentions_in(text),
            hashtags=_hashtags_in(text),
            media=tuple(media),
        )
        self._store(tweet)
        return tweet.id

    def retweet(self, user_id: str, tweet_id: str) -> str:
        """A retweet as X renders it: `RT @author: text`, referencing the original."""
        original = self._require_tweet(tweet_id)
        retweeter = self._require_user(user_id)
        moment = _as_utc(self.now())
        number = self._snowflake(moment)
        text = f"RT @{original.author_username}: {original.text}"
        tweet = Tweet(
            id=str(number),
            text=text,
            author_id=retweeter.id,
            author_username=retweeter.username,
            created_at=moment,
            conversation_id=str(number),
            lang=original.lang,
            referenced=(ReferencedTweet("retweeted", original.id),),
            mentions=self._mentions_in(text),
            hashtags=_hashtags_in(text),
        )
        self._store(tweet)
        return tweet.id

    def delete(self, tweet_id: str) -> None:
        tweet = self._require_tweet(tweet_id)
        if not tweet.deleted:
            tweet.deleted = True
            self._live_texts[(tweet.author_id, tweet.text)] -= 1

    def block(self, user_id: str, blocked_by: str) -> None:
        """`blocked_by` blocks `user_id`: replies and DMs from `user_id` to them are refused."""
        self._require_user(user_id)
        self._require_user(blocked_by)
        self._blocks.add((blocked_by, user_id))

    def steady(
        self,
        author_ids: Sequence[str],
        brand: str,
        count: int,
        *,
        interval_seconds: float = 30.0,
        text: str = "@{brand} hello, this is message {n} from @{author}",
        lang: str = "en",
    ) -> list[str]:
        """`count` mentions of `brand`, authors taken in turn, spaced in time and ending now."""
        if not author_ids:
            raise ValueError("steady() needs at least one author")
        brand_name = self._require_user(brand).username
        first = self.now() - timedelta(seconds=interval_seconds * count)
        ids = []
        for n, author_id in zip(range(count), itertools.cycle(author_ids), strict=False):
            author_name = self._require_user(author_id).username
            body = text.format(brand=brand_name, n=n + 1, author=author_name)
            moment = first + timedelta(seconds=interval_seconds * (n + 1))
            ids.append(self.post(author_id, body, created_at=moment, lang=lang))
        return ids

    def burst(
        self,
        n: int,
        brand: str,
        *,
        author_ids: Sequence[str] | None = None,
        text: str = "@{brand} urgent! problem {n} reported by @{author}",
        lang: str = "en",
    ) -> list[str]:
        """`n` mentions of `brand` at once; authors are created when none are given."""
        authors = list(author_ids) if author_ids else self._burst_authors(min(max(n, 1), 50))
        brand_name = self._require_user(brand).username
        ids = []
        for number, author_id in zip(range(n), itertools.cycle(authors), strict=False):
            author_name = self._require_user(author_id).username
            body = text.format(brand=brand_name, n=number + 1, author=author_name)
            ids.append(self.post(author_id, body, lang=lang))
        return ids

    def _burst_authors(self, count: int) -> list[str]:
        authors = []
        for _ in range(count):
            user_id = str(next(self._generated_user_ids))
            authors.append(self.add_user(user_id, f"burst{user_id[-9:]}", f"Burst {user_id[-4:]}"))
        return authors

    def _claim_id(self, tweet_id: str | None, moment: datetime) -> int:
        if tweet_id is None:
            return self._snowflake(moment)
        if not tweet_id.isdigit() or tweet_id in self._tweets:
            raise ValueError(f"tweet id {tweet_id!r} is not digits or already used")
        self._last_snowflake = max(self._last_snowflake, int(tweet_id))
        return int(tweet_id)

    def _mentions_in(self, text: str) -> tuple[MentionEntity, ...]:
        entities = []
        for match in MENTION_PATTERN.finditer(text):
            user_id = self._user_ids_by_username.get(match[1].casefold())
            username = self._users[user_id].username if user_id is not None else match[1]
            entities.append(MentionEntity(match.start(), match.end(), username, user_id))
        return tuple(entities)

    def _store(self, tweet: Tweet) -> None:
        self._tweets[tweet.id] = tweet
        bisect.insort(self._numbers, tweet.number)
        bisect.insort(self._numbers_by_author.setdefault(tweet.author_id, []), tweet.number)
        for user_id in self._mentioned_user_ids(tweet):
            bisect.insort(self._numbers_mentioning.setdefault(user_id, []), tweet.number)
        self._live_texts[(tweet.author_id, tweet.text)] += 1
        self._users[tweet.author_id].tweet_count += 1
        self._count_reference(tweet)
        for listener in list(self._listeners):
            listener(tweet)

    def _mentioned_user_ids(self, tweet: Tweet) -> set[str]:
        # A reply reaches the replied-to author's mentions even when the text does not name them.
        mentioned = {m.user_id for m in tweet.mentions if m.user_id is not None}
        if tweet.in_reply_to_user_id is not None:
            mentioned.add(tweet.in_reply_to_user_id)
        mentioned.discard(tweet.author_id)
        return mentioned

    def _count_reference(self, tweet: Tweet) -> None:
        for reference in tweet.referenced:
            target = self._tweets.get(reference.id)
            if target is None:
                continue
            if reference.type == "replied_to":
                target.reply_count += 1
            elif reference.type == "quoted":
                target.quote_count += 1
            else:
                target.retweet_count += 1

    # --- reading the world ---

    def user(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    def user_by_username(self, username: str) -> User | None:
        user_id = self._user_ids_by_username.get(username.removeprefix("@").casefold())
        return self._users.get(user_id) if user_id is not None else None

    def username_of(self, user_id: str) -> str | None:
        user = self._users.get(user_id)
        return user.username if user is not None else None

    def tweet(self, tweet_id: str) -> Tweet | None:
        """A tweet that exists and is not deleted."""
        tweet = self._tweets.get(tweet_id)
        return tweet if tweet is not None and not tweet.deleted else None

    def newest_tweet_of(self, user_id: str) -> Tweet | None:
        for number in reversed(self._numbers_by_author.get(user_id, [])):
            tweet = self._tweets[str(number)]
            if not tweet.deleted:
                return tweet
        return None

    def is_blocked(self, user_id: str, by: str) -> bool:
        return (by, user_id) in self._blocks

    def compile_query(self, query: str) -> Predicate:
        return compile_query(query, self.username_of)

    def mentions_page(self, user_id: str, window: PageWindow) -> PageSelection:
        """The user's mentions timeline: tweets naming them, and replies to them."""
        return self._select(self._numbers_mentioning.get(user_id, []), window)

    def user_tweets_page(self, user_id: str, window: PageWindow) -> PageSelection:
        return self._select(self._numbers_by_author.get(user_id, []), window)

    def search_page(self, window: PageWindow) -> PageSelection:
        return self._select(self._numbers, window)

    def _select(self, numbers: list[int], window: PageWindow) -> PageSelection:
        """One page of `numbers` (ascending ids), newest first, within the id window.

        Scans from the boundary outwards with bisect, so a page costs what it returns, not the
        size of the timeline (benchmarks build hundreds of thousands of tweets).
        """
        cursor = window.cursor
        lower = window.since_id if window.since_id is not None else -1
        upper = window.until_id if window.until_id is not None else 1 << 64
        if cursor is not None and cursor.direction == "older":
            upper = min(upper, cursor.boundary)
        if cursor is not None and cursor.direction == "newer":
            lower = max(lower, cursor.boundary)
        start = bisect.bisect_right(numbers, lower)
        stop = bisect.bisect_left(numbers, upper)
        towards_newer = cursor is not None and cursor.direction == "newer"
        scan = range(start, stop) if towards_newer else range(stop - 1, start - 1, -1)
        wanted = window.max_results
        found = list(itertools.islice(self._accepted(numbers, scan, window.accept), wanted + 1))
        page, more = found[:wanted], len(found) > wanted
        if towards_newer:
            return PageSelection(list(reversed(page)), has_older=True, has_newer=more)
        return PageSelection(page, has_older=more, has_newer=cursor is not None)

    def _accepted(
        self, numbers: list[int], scan: range, accept: Predicate | None
    ) -> Iterator[Tweet]:
        for index in scan:
            tweet = self._tweets[str(numbers[index])]
            if not tweet.deleted and (accept is None or accept(tweet)):
                yield tweet

    # --- pagination tokens ---

    def issue_page_token(self, cursor: PageCursor) -> str:
        # Opaque like X's: nothing in the token reveals (or lets a client forge) the boundary.
        seed = f"{len(self._page_tokens)}|{cursor.direction}|{cursor.boundary}".encode()
        token = _base36(int.from_bytes(hashlib.blake2b(seed, digest_size=24).digest(), "big"))
        self._page_tokens[token] = cursor
        return token

    def resolve_page_token(self, token: str) -> PageCursor | None:
        return self._page_tokens.get(token)

    # --- writes through the API (X's refusals raise Refusal) ---

    def publish(self, author_id: str, text: str, *, reply_to: str | None = None) -> Tweet:
        """POST /2/tweets: X's checks, then the tweet joins the world and `posted`."""
        if reply_to is not None:
            self._check_can_reply(author_id, reply_to)
        if self._live_texts[(author_id, text)] > 0:
            raise Refusal(
                403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
            )
        tweet_id = self.post(author_id, text, reply_to=reply_to)
        tweet = self._tweets[tweet_id]
        self.posted.append(tweet)
        return tweet

    def _check_can_reply(self, author_id: str, reply_to: str) -> None:
        target = self.tweet(reply_to)
        if target is None:
            raise Refusal(
                403,
                "Forbidden",
                "You attempted to reply to a Tweet that is deleted or not visible to you.",
            )
        if self.is_blocked(author_id, by=target.author_id):
            raise Refusal(
                403,
                "Forbidden",
                "You cannot reply to this Tweet: its author has blocked you.",
            )

    def unpublish(self, user_id: str, tweet_id: str) -> bool:
        """DELETE /2/tweets/:id: only the author may; a missing tweet is `deleted: false`."""
        tweet = self.tweet(tweet_id)
        if tweet is None:
            return False
        if tweet.author_id != user_id:
            raise Refusal(403, "Forbidden", "You are not allowed to delete this Tweet.")
        self.delete(tweet_id)
        return True

    def send_dm(self, sender_id: str, participant_id: str, text: str) -> DirectMessage:
        if self.user(participant_id) is None:
            raise Refusal(
                404,
                "Not Found Error",
                f"Could not find user with participant_id: [{participant_id}].",
                "https://api.twitter.com/2/problems/resource-not-found",
            )
        if self.is_blocked(sender_id, by=participant_id):
            raise Refusal(
                403,
                "Forbidden",
                "You cannot send Direct Messages to this user: they have blocked you.",
            )
        low, high = sorted((sender_id, participant_id), key=int)
        moment = _as_utc(self.now())
        message = DirectMessage(
            dm_event_id=str(self._snowflake(moment)),
            dm_conversation_id=f"{low}-{high}",
            sender_id=sender_id,
            participant_id=participant_id,
            text=text,
            created_at=moment,
        )
        self.dms.append(message)
        return message

    # --- filtered stream ---

    def add_rule(self, value: str, tag: str | None = None) -> StreamRule:
        """A stream rule; raises QueryError when X would reject its syntax."""
        rule = StreamRule(
            id=str(self._snowflake(_as_utc(self.now()))),
            value=value,
            tag=tag,
            predicate=self.compile_query(value),
        )
        self._rules[rule.id] = rule
        return rule

    def rule_with_value(self, value: str) -> StreamRule | None:
        return next((rule for rule in self._rules.values() if rule.value == value), None)

    def delete_rule(self, rule_id: str) -> bool:
        return self._rules.pop(rule_id, None) is not None

    @property
    def rules(self) -> list[StreamRule]:
        return list(self._rules.values())

    def matching_rules(self, tweet: Tweet) -> list[StreamRule]:
        return [rule for rule in self._rules.values() if rule.predicate(tweet)]

    def recent_tweets(self, since: datetime) -> list[Tweet]:
        """Live tweets created at or after `since`, oldest first (the stream's backfill)."""
        tweets = (self._tweets[str(number)] for number in self._numbers)
        return [t for t in tweets if not t.deleted and t.created_at >= since]

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every tweet that joins the world; returns the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def break_stream_after(self, n_lines: int, *, mid_line: bool = True) -> None:
        """Cut the stream after `n_lines` more tweet lines; mid-line writes half the next one."""
        self._stream_cut = _StreamCut(lines_before_cut=n_lines, mid_line=mid_line)

    def stream_line_plan(self) -> StreamLinePlan:
        """What to do with the stream line about to be written (consumes the armed cut)."""
        cut = self._stream_cut
        if cut is None:
            return "send"
        if cut.lines_before_cut == 0:
            self._stream_cut = None
            return "cut_mid_line" if cut.mid_line else "cut_before"
        cut.lines_before_cut -= 1
        if cut.lines_before_cut == 0 and not cut.mid_line:
            self._stream_cut = None
            return "send_then_cut"
        return "send"

    # --- observation ---

    def record_request(self, method: str, path: str, query: Mapping[str, str]) -> None:
        self.requests.append(SeenRequest(method, path, dict(query)))

    def record_reads(self, tweet_ids: Sequence[str]) -> None:
        """X bills per post read: every tweet delivered in `data` or on the stream counts."""
        self.reads += len(tweet_ids)
        self.reads_by_tweet.update(tweet_ids)

    # --- rate limits ---

    def set_rate_limit(
        self,
        endpoint: str,
        limit: int,
        *,
        window_seconds: int = FIFTEEN_MINUTES,
        auth: AuthKind | None = None,
    ) -> None:
        """Change an endpoint's limit for app auth, user auth, or (auth=None) both."""
        _check_endpoint(endpoint)
        policy = RateLimitPolicy(limit, window_seconds)
        kinds: tuple[AuthKind, ...] = (auth,) if auth is not None else ("app", "user")
        for kind in kinds:
            self._rate_policies.setdefault(endpoint, {})[kind] = policy

    def rate_policy(self, endpoint: str, auth: AuthKind) -> RateLimitPolicy:
        policies = self._rate_policies.get(endpoint, {})
        return policies.get(auth, RateLimitPolicy(FALLBACK_RATE_LIMIT_CALLS))

    def consume_rate_limit(self, endpoint: str, auth: AuthKind, credential: str) -> RateDecision:
        """Count one call against the credential's window for the endpoint."""
        policy = self.rate_policy(endpoint, auth)
        now = self.clock()
        window = self._windows.get((endpoint, credential))
        if window is None or now >= window.reset_at:
            window = _Window(reset_at=int(now) + policy.window_seconds)
            self._windows[(endpoint, credential)] = window
        allowed = window.used < policy.limit
        if allowed:
            window.used += 1
        remaining = max(policy.limit - window.used, 0)
        return RateDecision(policy.limit, remaining, window.reset_at, allowed)

    # --- scripted failures ---

    def rate_limit_storm(self, endpoint: str, count: int, reset_after_seconds: float) -> None:
        """The next `count` calls to `endpoint` answer 429, resetting that far in the future."""
        _check_endpoint(endpoint)
        self._storms[endpoint] = _Storm(count, reset_after_seconds)

    def take_storm(self, endpoint: str, auth: AuthKind) -> RateDecision | None:
        storm = self._storms.get(endpoint)
        if storm is None:
            return None
        storm.remaining_calls -= 1
        if storm.remaining_calls <= 0:
            del self._storms[endpoint]
        reset = int(self.clock() + storm.reset_after_seconds)
        return RateDecision(self.rate_policy(endpoint, auth).limit, 0, reset, allowed=False)

    def fail_next(self, endpoint: str, status: int = 503, count: int = 1) -> None:
        """The next `count` calls to `endpoint` answer `status` (503, 500, 502, 504...)."""
        _check_endpoint(endpoint)
        self._failures[endpoint] = _Failure(status, count)

    def take_failure(self, endpoint: str) -> int | None:
        failure = self._failures.get(endpoint)
        if failure is None:
            return None
        failure.remaining_calls -= 1
        if failure.remaining_calls <= 0:
            del self._failures[endpoint]
        return failure.status

    def slow(self, endpoint: str, seconds: float) -> None:
        """Every call to `endpoint` waits `seconds` before answering (0 to stop)."""
        _set_seconds(self._delays, endpoint, seconds)

    def delay_for(self, endpoint: str) -> float:
        return self._delays.get(endpoint, 0.0)

    def hold_answer(self, endpoint: str, seconds: float) -> None:
        """Calls to `endpoint` take effect at once but are answered `seconds` later (0 to
        stop): the window in which a client can die after a post and before it hears of it."""
        _set_seconds(self._holds, endpoint, seconds)

    def hold_for(self, endpoint: str) -> float:
        return self._holds.get(endpoint, 0.0)

    def malformed_next(self, endpoint: str, kind: Malformation = "missing_created_at") -> None:
        """The next answer with tweets loses its first tweet's `created_at` (when it was asked
        for), or is cut to invalid JSON. On "stream" it applies to the next tweet line."""
        _check_endpoint(endpoint)
        self._malformations[endpoint] = kind

    def pending_malformation(self, endpoint: str) -> Malformation | None:
        return self._malformations.get(endpoint)

    def consume_malformation(self, endpoint: str) -> None:
        self._malformations.pop(endpoint, None)

    # --- helpers ---

    def _require_user(self, user_id: str) -> User:
        user = self._users.get(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id!r}: add_user() it first")
        return user

    def _require_tweet(self, tweet_id: str) -> Tweet:
        tweet = self._tweets.get(tweet_id)
        if tweet is None:
            raise ValueError(f"unknown tweet {tweet_id!r}")
        return tweet


def _hashtags_in(text: str) -> tuple[HashtagEntity, ...]:
    return tuple(HashtagEntity(m.start(), m.end(), m[1]) for m in HASHTAG_PATTERN.finditer(text))


def _check_endpoint(endpoint: str) -> None:
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; one of {sorted(ENDPOINTS)}")


def _set_seconds(per_endpoint: dict[str, float], endpoint: str, seconds: float) -> None:
    """`seconds` for `endpoint` in `per_endpoint`; 0 or less removes it."""
    _check_endpoint(endpoint)
    if seconds > 0:
        per_endpoint[endpoint] = seconds
    else:
        per_endpoint.pop(endpoint, None)
