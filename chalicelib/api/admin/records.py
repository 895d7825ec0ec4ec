"""Admin v2 blacklist and whitelist records: /api/v2/blacklist/records, /api/v2/whitelist/records.

Thin calls to the moderation engine (services/moderation.py: what a match does on each
surface, the RE2 checks, the cache; docs/moderation.md). Every route answers the record
bundle ``{"records": [...]}`` (docs/admin-v2.md); the query adds ``paging``. A record:

- ``ruleId``: its id (routes taking a ruleId also take the record's value: the spec's
  ruleId is "the word");
- ``list``: ``blacklist`` | ``whitelist``;
- ``regex``: the RE2 pattern (blacklist) or the domain a URL was reduced to (whitelist);
- ``isMatchExactWord``: whole words only (always false on the whitelist);
- ``createdBy``, ``createdAt``, ``updatedAt`` (null until updated).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chalice import Blueprint

from chalicelib.api.admin.forms import FormInt
from chalicelib.api.admin.surface import AdminSurface
from chalicelib.api.routing import Call
from chalicelib.auth import scopes
from chalicelib.errors import ValidationError
from chalicelib.http.schema import Bool, List, Obj, Str
from chalicelib.services import moderation
from chalicelib.services.admin_channels import workspace_of
from chalicelib.store.models import ModerationRule

bp = Blueprint(__name__)
admin = AdminSurface(bp, tag="Admin v2: blacklist and whitelist records")

TRAIL = 10  # how many pages back ``previous`` reaches (as channel query)
VALUE = Str(min_len=1, max_len=moderation.MAX_PATTERN_LENGTH)
RULE_ID = Str(min_len=1, max_len=moderation.MAX_PATTERN_LENGTH, description="A record's ruleId or its value")
PATH = {"ruleId": RULE_ID}


class FormBool(Bool):
    """true/false from JSON, or from a form's string (true, false, 1, 0; any case)."""

    def check(self, value: Any, path: str) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
            return value.strip().lower() in ("true", "1")
        return super().check(value, path)


OPTIONS = Obj(
    {
        "limit": FormInt(required=False, minimum=1, maximum=moderation.MAX_PAGE, description="Default 100"),
        "token": Str(
            required=False, nullable=True, max_len=8192, description="paging.next or paging.previous of an earlier page"
        ),
    },
    required=False,
    description="options[limit]=...&options[token]=... or a JSON object",
)


def record_view(record: ModerationRule) -> dict[str, Any]:
    return {
        "ruleId": record.id,
        "list": record.list_name,
        "regex": record.pattern,
        "isMatchExactWord": bool(record.exact_word),
        "createdBy": record.created_by,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
    }


def bundle(records: list[ModerationRule]) -> dict[str, Any]:
    return {"records": [record_view(r) for r in records]}


def _fingerprint(regexs: list[str] | None) -> str:
    return hashlib.sha256(json.dumps(sorted(regexs or [])).encode()).hexdigest()[:16]


def _query(call: Call, list_name: str) -> Any:
    """A page in creation order; a token keeps the filter and the page size, and holds the
    starts of up to TRAIL earlier pages (``previous``)."""
    body = call.body
    regexs = body.get("regexs") or None
    options = body.get("options") or {}
    position = call.position()
    fingerprint = _fingerprint(regexs)
    if position is not None and position.get("q") != fingerprint:
        raise ValidationError("options[token] belongs to another query.", field="options[token]")
    start = position or {"after": None, "trail": []}
    limit = options.get("limit") or (position or {}).get("limit") or moderation.MAX_PAGE
    records, after = moderation.list_records(
        call.user, workspace_of(call.user), list_name, regexs=regexs, after=start.get("after"), limit=limit
    )
    trail = list(start.get("trail") or [])
    here = {"after": start.get("after")}
    following = {"after": after, "trail": [*trail, here][-TRAIL:], "q": fingerprint, "limit": limit}
    previous = {**trail[-1], "trail": trail[:-1], "q": fingerprint, "limit": limit} if trail else None
    return call.page(bundle(records), {"next": following if after else None, "previous": previous})


def _create(call: Call, list_name: str) -> Any:
    body = call.body
    exact = bool(body.get("isMatchExactWord"))
    made = moderation.create_records(call.user, workspace_of(call.user), list_name, body["regexs"], exact_word=exact)
    return bundle(made)


def _delete(call: Call, list_name: str) -> Any:
    gone = moderation.delete_records(call.user, workspace_of(call.user), list_name, call.body["ruleIds"])
    return bundle(gone)


def _update(call: Call, list_name: str) -> Any:
    body = call.body
    record = moderation.update_record(
        call.user,
        workspace_of(call.user),
        list_name,
        call.params["ruleId"],
        pattern=body.get("ruleId"),
        exact_word=body.get("isMatchExactWord"),
    )
    return bundle([record])


QUERY_NOTE = "regexs keeps the records with exactly those values (a page may then be short)"


# --- blacklist ---------------------------------------------------------------------------


@admin.route(
    "/api/v2/blacklist/records",
    "GET",
    summary=f"Query blacklist records in creation order ({QUERY_NOTE})",
    scope=scopes.ADMIN,
    body=Obj(
        {
            "regexs": List(VALUE, required=False, max_items=moderation.MAX_PAGE, unique=True),
            "options": OPTIONS,
        }
    ),
    idempotent=False,
)
def query_blacklist(call: Call) -> Any:
    return _query(call, moderation.BLACKLIST)


@admin.route(
    "/api/v2/blacklist/records",
    "POST",
    summary="Add blacklist records: RE2 patterns, case-insensitive; isMatchExactWord: whole words only "
    "(a pattern RE2 refuses, too large or matching the empty text: 400 naming regexs[i])",
    scope=scopes.ADMIN,
    body=Obj(
        {
            "regexs": List(VALUE, min_items=1, max_items=moderation.MAX_PER_CALL),
            "isMatchExactWord": FormBool(required=False, default=False),
        }
    ),
)
def create_blacklist(call: Call) -> Any:
    return _create(call, moderation.BLACKLIST)


@admin.route(
    "/api/v2/blacklist/records",
    "DELETE",
    summary="Delete blacklist records by ruleId or value (all or none: an unknown one is 404 naming it)",
    scope=scopes.ADMIN,
    body=Obj({"ruleIds": List(RULE_ID, min_items=1, max_items=moderation.MAX_PER_CALL, unique=True)}),
)
def delete_blacklist(call: Call) -> Any:
    return _delete(call, moderation.BLACKLIST)


@admin.route(
    "/api/v2/blacklist/records/{ruleId}",
    "PUT",
    summary="Update a blacklist record (:ruleId its id or value): ruleId the new pattern, isMatchExactWord "
    "(absent: unchanged)",
    scope=scopes.ADMIN,
    params=PATH,
    body=Obj(
        {
            "ruleId": Str(required=False, min_len=1, max_len=moderation.MAX_PATTERN_LENGTH, description="New pattern"),
            "isMatchExactWord": FormBool(required=False),
        },
        at_least_one=True,
    ),
)
def update_blacklist(call: Call) -> Any:
    return _update(call, moderation.BLACKLIST)


# --- whitelist ---------------------------------------------------------------------------


@admin.route(
    "/api/v2/whitelist/records",
    "GET",
    summary=f"Query whitelist records in creation order ({QUERY_NOTE})",
    scope=scopes.ADMIN,
    body=Obj(
        {
            "regexs": List(VALUE, required=False, max_items=moderation.MAX_PAGE, unique=True),
            "options": OPTIONS,
        }
    ),
    idempotent=False,
)
def query_whitelist(call: Call) -> Any:
    return _query(call, moderation.WHITELIST)


@admin.route(
    "/api/v2/whitelist/records",
    "POST",
    summary="Add whitelist records: domains or http(s) URLs (kept as their domain; subdomains match). "
    "While the list is not empty, a link elsewhere is a moderation match",
    scope=scopes.ADMIN,
    body=Obj({"regexs": List(VALUE, min_items=1, max_items=moderation.MAX_PER_CALL)}),
)
def create_whitelist(call: Call) -> Any:
    return _create(call, moderation.WHITELIST)


@admin.route(
    "/api/v2/whitelist/records",
    "DELETE",
    summary="Delete whitelist records by ruleId or value (all or none: an unknown one is 404 naming it)",
    scope=scopes.ADMIN,
    body=Obj({"ruleIds": List(RULE_ID, min_items=1, max_items=moderation.MAX_PER_CALL, unique=True)}),
)
def delete_whitelist(call: Call) -> Any:
    return _delete(call, moderation.WHITELIST)


@admin.route(
    "/api/v2/whitelist/records/{ruleId}",
    "PUT",
    summary="Update a whitelist record (:ruleId its id or value): ruleId the new domain or URL",
    scope=scopes.ADMIN,
    params=PATH,
    body=Obj({"ruleId": Str(min_len=1, max_len=moderation.MAX_PATTERN_LENGTH, description="New domain or URL")}),
)
def update_whitelist(call: Call) -> Any:
    return _update(call, moderation.WHITELIST)
