"""The moderation engine: a workspace's Admin v2 blacklist and whitelist records, and the
verdict they give on a text. Every write path asks it (docs/moderation.md):

- v1 messages in a chat channel (send, edit): a match is refused, E_MODERATION_BLOCKED;
- a comments thread (Disqus posts/create, v1 messages into the thread, both through
  services/posts.create): comment_rules.evaluate merges the verdict, the post is held
  (``unapproved``) with facts 4 (bad word) and 8 (modified by rule).

Records (store/moderation_rules.py), managed by the workspace's admins and owners (a
session, or a token with the ``admin`` scope: the Admin Access Token):

- blacklist: an RE2 pattern. ``exact_word`` (isMatchExactWord): the pattern must match
  whole words: not preceded or followed by a letter, digit, combining mark or underscore
  (Unicode classes), so "ass" is not in "class". Otherwise a substring / regex search.
  Always case-insensitive with Unicode simple case folding (RE2's ``(?i)``: É = é, Ж = ж;
  multi-letter folds such as ß = ss are not made).
- whitelist: a domain (a URL is reduced to its host). When the list is not empty, every
  http(s) or ``www.`` link in the text must point to a listed domain or one of its
  subdomains; any other link is a match (fact 8).

Patterns are compiled by RE2 (google-re2, linear time: no pattern can hang a request) and
checked at creation: at most MAX_PATTERN_LENGTH characters, RE2 program size at most
MAX_PROGRAM_SIZE, not matching the empty text (it would block everything), no ``\\Q``,
``\\E`` or ``\\C``. A refused pattern is E_VALIDATION naming it (``regexs[2]``).

Cache: a workspace's compiled rule set is kept per process for CACHE_TTL_SECONDS (5 s), so a
send on a warm function costs no DynamoDB call and a new record applies everywhere within
5 s (at once in the process that wrote it: writes drop its entry). Past the TTL one GetItem
reads the version (0.5 read unit): unchanged, the entry lives another TTL; changed (or
nothing cached), one Query reads the records and their version.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.auth.principal import Principal
from chalicelib.errors import CreationLimit, ModerationBlocked, NotFound, ValidationError
from chalicelib.ids import new_id, now_iso
from chalicelib.services import authz
from chalicelib.store import moderation_rules as store
from chalicelib.store.models import ModerationRule

if TYPE_CHECKING:
    from chalicelib.store.moderation_rules import RuleSet

BLACKLIST, WHITELIST = "blacklist", "whitelist"
LISTS = (BLACKLIST, WHITELIST)
HAS_BAD_WORD, MODIFIED_BY_RULE = 4, 8  # Disqus filter numbers (services/posts.py)

MAX_PATTERN_LENGTH = 200
MAX_PROGRAM_SIZE = 1000  # RE2 instructions of one pattern: (.*a){100} is 904, (.*a){1000} 9,004
MAX_PER_CALL = 50  # records created or deleted in one call: one transaction
MAX_PAGE = 100
CACHE_TTL_SECONDS = 5.0
CACHE_WORKSPACES = 256  # rule sets kept per process (least recently used dropped first)
_PATTERN_MEMORY = 8 << 20  # RE2 max_mem of one pattern at creation
_SET_MEMORY = 64 << 20  # of one combined alternation (a chunk is split when past it)

# Unicode word characters for exact words: letters, digits, combining marks, underscore.
_NOT_WORD = r"[^\p{L}\p{N}\p{M}_]"
_HOST = re.compile(r"[\w.-]+")
_LINK = re.compile(r"(?i)(?:\bhttps?://|(?<![\w.-])(?=www\.))([^\s/?#<>\"'`\\()\[\]{}|]+)")


@dataclass(frozen=True)
class Verdict:
    matched: tuple[str, ...] = ()  # ids of the blacklist records that matched
    blocked_links: tuple[str, ...] = ()  # hosts of links outside the whitelist
    facts: frozenset[int] = frozenset()  # {4, 8} for a blacklist match, 8 for a link

    @property
    def blocked(self) -> bool:
        return bool(self.matched or self.blocked_links)


# --- managing records ----------------------------------------------------------------


def _admin(principal: Principal, workspace_id: str) -> None:
    """Workspace admins and owners; a token needs the ``admin`` scope (one BatchGetItem)."""
    authz.workspace_access(principal, workspace_id, role="admin")


def _check_list(list_name: str) -> None:
    if list_name not in LISTS:
        raise ValidationError("is blacklist or whitelist.", field="list")


def create_records(
    principal: Principal, workspace_id: str, list_name: str, regexs: list[str], *, exact_word: bool = False
) -> list[ModerationRule]:
    """One record per pattern (blacklist) or domain (whitelist), in the order given. A value
    the list already holds (with the same ``exact_word``) is answered as it is."""
    _check_list(list_name)
    if not regexs:
        raise ValidationError("is required.", field="regexs")
    if len(regexs) > MAX_PER_CALL:
        raise ValidationError(f"takes at most {MAX_PER_CALL} values.", field="regexs")
    values = [normalize(list_name, value, f"regexs[{i}]") for i, value in enumerate(regexs)]
    exact = exact_word and list_name == BLACKLIST
    _admin(principal, workspace_id)
    existing = {
        (r.pattern, bool(r.exact_word)): r for r in store.rule_set(workspace_id).records if r.list_name == list_name
    }
    created_at = now_iso()
    made: dict[tuple[str, bool], ModerationRule] = {}
    for value in values:
        if (value, exact) not in existing and (value, exact) not in made:
            made[(value, exact)] = store.new_record(
                new_id(),
                workspace_id,
                list_name,
                value,
                exact_word=exact,
                created_by=principal.user_id,
                created_at=created_at,
            )
    try:
        store.create(workspace_id, list(made.values()))
    except store.LimitReached:
        raise CreationLimit(f"A workspace holds at most {store.MAX_RECORDS} blacklist and whitelist records.") from None
    finally:
        invalidate(workspace_id)
    return [existing.get((value, exact)) or made[(value, exact)] for value in dict.fromkeys(values)]


def list_records(
    principal: Principal,
    workspace_id: str,
    list_name: str,
    *,
    regexs: list[str] | None = None,
    after: str | None = None,
    limit: int = MAX_PAGE,
) -> tuple[list[ModerationRule], str | None]:
    """A page in creation order: (records, the id to pass as ``after`` for the next page, or
    None). ``regexs`` keeps the records with those exact values (a page may be short)."""
    _check_list(list_name)
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"is 1 to {MAX_PAGE}.", field="limit")
    if regexs is not None and len(regexs) > MAX_PAGE:
        raise ValidationError(f"takes at most {MAX_PAGE} values.", field="regexs")
    _admin(principal, workspace_id)
    wanted = [_stored_form(list_name, value) for value in regexs or []]
    return store.list_page(workspace_id, list_name, after=after, limit=limit, patterns=wanted or None)


def _stored_form(list_name: str, value: str) -> str:
    """A filter value as records store it (an invalid one simply matches nothing)."""
    try:
        return normalize(list_name, value, "regexs") if list_name == WHITELIST else value.strip()
    except ValidationError:
        return value.strip()


def _resolve(workspace_id: str, list_name: str, rule_ids: list[str], field: str) -> list[ModerationRule]:
    """Records by id, or by their value (the spec's ruleId is "the word"): one Query."""
    records = [r for r in store.rule_set(workspace_id).records if r.list_name == list_name]
    by_id = {r.id: r for r in records}
    by_value: dict[str, ModerationRule] = {}
    for record in records:
        by_value.setdefault(record.pattern, record)
    found: dict[str, ModerationRule] = {}
    for i, rule_id in enumerate(rule_ids):
        record = by_id.get(rule_id) or by_value.get(_stored_form(list_name, rule_id))
        if record is None:
            name = field if len(rule_ids) == 1 and field != "ruleIds" else f"{field}[{i}]"
            raise NotFound(f"No {list_name} record {rule_id[:64]!r}.", field=name)
        found[record.id] = record
    return list(found.values())


def delete_records(
    principal: Principal, workspace_id: str, list_name: str, rule_ids: list[str]
) -> list[ModerationRule]:
    """All found before any is deleted (one unknown: NotFound naming it, nothing changes)."""
    _check_list(list_name)
    if not rule_ids:
        raise ValidationError("is required.", field="ruleIds")
    if len(rule_ids) > MAX_PER_CALL:
        raise ValidationError(f"takes at most {MAX_PER_CALL} values.", field="ruleIds")
    _admin(principal, workspace_id)
    records = _resolve(workspace_id, list_name, rule_ids, "ruleIds")
    try:
        store.delete(workspace_id, records)
    except store.Changed:
        raise NotFound("A record was deleted meanwhile: nothing changed.", field="ruleIds") from None
    finally:
        invalidate(workspace_id)
    return records


def update_record(
    principal: Principal,
    workspace_id: str,
    list_name: str,
    rule_id: str,
    *,
    pattern: str | None = None,
    exact_word: bool | None = None,
) -> ModerationRule:
    """A new value (checked as at creation) and/or ``exact_word`` (blacklist only)."""
    _check_list(list_name)
    value = normalize(list_name, pattern, "ruleId") if pattern is not None else None
    if exact_word and list_name != BLACKLIST:
        raise ValidationError("applies to blacklist records only.", field="isMatchExactWord")
    exact_word = exact_word if list_name == BLACKLIST else None
    _admin(principal, workspace_id)
    record = _resolve(workspace_id, list_name, [rule_id], ":ruleId")[0]
    changes: dict[str, Any] = {}
    if value is not None and value != record.pattern:
        changes["pattern"] = value
    if exact_word is not None and exact_word != bool(record.exact_word):
        changes["exact_word"] = exact_word
    if not changes:
        return record
    changes["updated_at"] = now_iso()
    try:
        store.update(record, changes)
    except store.Changed:
        raise NotFound(f"No {list_name} record {rule_id[:64]!r}.", field=":ruleId") from None
    finally:
        invalidate(workspace_id)
    return record


# --- validation -----------------------------------------------------------------------


def normalize(list_name: str, value: str, field: str) -> str:
    """The value as stored: a checked pattern (blacklist) or a domain (whitelist), else
    ValidationError naming ``field`` and the reason."""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string.", field=field)
    text = value.strip()
    if list_name == WHITELIST:
        return _domain(text, field)
    if not 1 <= len(text) <= MAX_PATTERN_LENGTH:
        raise ValidationError(f"{field}: a pattern is 1 to {MAX_PATTERN_LENGTH} characters.", field=field)
    if "\x00" in text:
        raise ValidationError(f"{field}: a pattern holds no NUL character.", field=field)
    escaped = _banned_escape(text)
    if escaped:
        raise ValidationError(f"{field}: \\{escaped} is not allowed in a pattern (escape each character).", field=field)
    re2 = _re2()
    try:
        compiled = re2.compile(_case_insensitive(text), _options(_PATTERN_MEMORY))
    except re2.error as error:
        raise ValidationError(f"{field} is not a valid pattern: {_reason(error)}.", field=field) from None
    if compiled.programsize > MAX_PROGRAM_SIZE:
        raise ValidationError(
            f"{field} is too large a pattern ({compiled.programsize} RE2 instructions, at most {MAX_PROGRAM_SIZE}).",
            field=field,
        )
    if compiled.search("") is not None:
        raise ValidationError(f"{field} matches the empty text: it would block every message.", field=field)
    return text


def _banned_escape(pattern: str) -> str | None:
    """\\Q...\\E (a literal run that would swallow the wrapping parenthesis) and \\C (one byte)."""
    i = 0
    while i < len(pattern) - 1:
        if pattern[i] == "\\":
            if pattern[i + 1] in "QEC":
                return pattern[i + 1]
            i += 2
        else:
            i += 1
    return None


def _reason(error: Exception) -> str:
    text = error.args[0] if error.args else str(error)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text).split(":")[0] if ":" in str(text) else str(text)


def _domain(text: str, field: str) -> str:
    from urllib.parse import urlsplit

    from chalicelib.services.public_keys import normalize_domain

    host = text
    if "://" in text:
        try:
            parts = urlsplit(text)
            host = parts.hostname or ""
            if parts.scheme.lower() not in ("http", "https"):
                raise ValueError
        except ValueError:
            raise ValidationError(f"{field} is not an http(s) URL or a domain.", field=field) from None
    try:
        domain = normalize_domain(host.removeprefix("*."))
    except ValueError as error:
        raise ValidationError(f"{field} {error}.", field=field) from None
    if ":" in domain:
        raise ValidationError(f"{field}: a domain has no port (subdomains always match).", field=field)
    return domain


# --- matching --------------------------------------------------------------------------


def _re2() -> Any:
    import re2  # ~10 ms at import: only when a workspace has records (not at cold start)

    return re2


def _options(max_mem: int) -> Any:
    options = _re2().Options()
    options.never_capture = True  # the search only answers yes/no: no submatch pass (fast)
    options.log_errors = False
    options.max_mem = max_mem
    return options


def _case_insensitive(pattern: str) -> str:
    return f"(?i:{pattern})"


def _alternation(records: list[ModerationRule]) -> str:
    body = "|".join(_case_insensitive(r.pattern) for r in records)
    if records and records[0].exact_word:
        return f"(?:^|{_NOT_WORD})(?:{body})(?:$|{_NOT_WORD})"
    return body


@dataclass
class Compiled:
    """A rule set's patterns: exact-word and substring records each as few combined RE2
    alternations (a chunk is halved when past RE2's memory), and the whitelisted domains."""

    version: int
    exact: list[tuple[list[ModerationRule], Any]] = field(default_factory=list)
    substring: list[tuple[list[ModerationRule], Any]] = field(default_factory=list)
    domains: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.exact or self.substring or self.domains)


def compile_rules(rule_set: RuleSet) -> Compiled:
    blacklist = [r for r in rule_set.records if r.list_name == BLACKLIST]
    compiled = Compiled(
        rule_set.version,
        domains=tuple(sorted({r.pattern for r in rule_set.records if r.list_name == WHITELIST})),
    )
    exact = [r for r in blacklist if r.exact_word]
    substring = [r for r in blacklist if not r.exact_word]
    compiled.exact = _chunks(exact) if exact else []
    compiled.substring = _chunks(substring) if substring else []
    return compiled


def _chunks(records: list[ModerationRule]) -> list[tuple[list[ModerationRule], Any]]:
    re2 = _re2()
    try:
        return [(records, re2.compile(_alternation(records), _options(_SET_MEMORY)))]
    except re2.error:
        if len(records) == 1:
            return []  # checked at creation with less memory: cannot happen; never a 500
        half = len(records) // 2
        return _chunks(records[:half]) + _chunks(records[half:])


def _which(records: list[ModerationRule], data: bytes) -> list[str]:
    """The records of a matching alternation that match (halving: ~2 log2(n) compiles, paid
    only by a text that matched)."""
    if len(records) == 1:
        return [records[0].id]
    half = len(records) // 2
    found = []
    for part in (records[:half], records[half:]):
        if _matches(part, data):
            found += _which(part, data)
    return found


def _matches(records: list[ModerationRule], data: bytes) -> bool:
    re2 = _re2()
    try:
        return re2.compile(_alternation(records), _options(_SET_MEMORY)).search(data) is not None
    except re2.error:  # past RE2's memory: halve (one pattern alone compiled at creation)
        if len(records) == 1:
            return False
        half = len(records) // 2
        return _matches(records[:half], data) or _matches(records[half:], data)


def link_hosts(text: str) -> list[str]:
    """The hosts of the http(s) and www. links in ``text``, lower-case, without user info,
    port or trailing dot."""
    hosts = []
    for match in _LINK.finditer(text):
        host = _HOST.match(match.group(1).rpartition("@")[2])  # up to a port or punctuation
        if host and host.group(0).strip("."):
            hosts.append(host.group(0).strip(".").lower())
    return hosts


def _outside(host: str, domains: tuple[str, ...]) -> bool:
    if not host.isascii():
        import idna

        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return True
    return not any(host == d or host.endswith("." + d) for d in domains)


def verdict_of(compiled: Compiled, text: str) -> Verdict:
    """The verdict of compiled rules on a text (no I/O)."""
    if compiled.empty:
        return Verdict()
    matched: list[str] = []
    # UTF-8 once for every search; a lone surrogate (which no UTF-8 holds) becomes "?".
    data = text.encode("utf-8", "replace")
    for records, regex in compiled.exact + compiled.substring:
        if regex.search(data) is not None:
            matched += _which(records, data)
    blocked_links: list[str] = []
    if compiled.domains:
        blocked_links = [h for h in dict.fromkeys(link_hosts(text)) if _outside(h, compiled.domains)]
    facts = ({HAS_BAD_WORD, MODIFIED_BY_RULE} if matched else set()) | ({MODIFIED_BY_RULE} if blocked_links else set())
    return Verdict(tuple(matched), tuple(blocked_links), frozenset(facts))


# --- the per-process cache -------------------------------------------------------------


@dataclass
class _Entry:
    expires_at: float
    compiled: Compiled


_cache: OrderedDict[str, _Entry] = OrderedDict()
_cache_lock = threading.Lock()  # the local runtime serves requests from threads


def _now() -> float:
    return time.monotonic()


def invalidate(workspace_id: str) -> None:
    """Drop this process's copy (after a write here: the next check reads the new set)."""
    with _cache_lock:
        _cache.pop(workspace_id, None)


def remember(workspace_id: str, rule_set: RuleSet) -> Compiled:
    """Cache a rule set just read; the compiled patterns are kept if its version did not move."""
    entry = _cache.get(workspace_id)
    if entry is not None and entry.compiled.version == rule_set.version:
        compiled = entry.compiled
    else:
        compiled = compile_rules(rule_set)
    with _cache_lock:
        _cache[workspace_id] = _Entry(_now() + CACHE_TTL_SECONDS, compiled)
        _cache.move_to_end(workspace_id)
        while len(_cache) > CACHE_WORKSPACES:
            _cache.popitem(last=False)
    return compiled


def rules(workspace_id: str) -> Compiled:
    """The workspace's compiled rules: from the cache within the TTL; past it, one GetItem of
    the version (the same: kept for another TTL), else (or with nothing cached) one Query."""
    entry = _cache.get(workspace_id)
    if entry is not None:
        if entry.expires_at > _now():
            return entry.compiled
        if store.version(workspace_id) == entry.compiled.version:
            entry.expires_at = _now() + CACHE_TTL_SECONDS
            return entry.compiled
    return remember(workspace_id, store.rule_set(workspace_id))


def check(workspace_id: str, text: str) -> Verdict:
    """The engine's verdict on a text written in the workspace (0 calls on a warm cache)."""
    return verdict_of(rules(workspace_id), text)


def enforce(workspace_id: str, text: str, field: str = "content") -> Verdict:
    """Where a match refuses the write (a chat channel, on any surface): ModerationBlocked
    naming ``field``; else the verdict (not blocked)."""
    verdict = check(workspace_id, text)
    if verdict.blocked:
        raise ModerationBlocked(field=field)
    return verdict


def judge(workspace_id: str, rule_set: RuleSet, text: str) -> Verdict:
    """The verdict from a rule set the caller just read (comment_rules' one Query), which
    also refreshes this process's cache."""
    return verdict_of(remember(workspace_id, rule_set), text)
