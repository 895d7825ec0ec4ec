"""Public keys: a workspace's Disqus ``api_key`` (docs/disqus.md, "Keys").

A public key ships in web pages, so it proves nothing by itself: a request with one is
accepted only when the browser says it comes from one of the key's domains (its Origin
header, or without one its Referer's origin). It reads comments and nothing else
(``comments:read``); admins and owners create, list and delete keys.

Domains (what ``create`` accepts and stores):
- a host name, lower-cased; an international name is stored in its IDNA ASCII form
  (``bücher.example`` -> ``xn--bcher-kva.example``), a trailing dot is dropped;
- ``*.`` in front for every subdomain, at any depth, but not the name itself
  (``*.example.com`` matches ``a.example.com`` and ``a.b.example.com``, not
  ``example.com``: list both for both); at least two labels after ``*.``;
- an optional ``:port``: then only that port matches; without one any port does (the
  host's owner owns its ports; ``localhost:3000`` pins a development server);
- no scheme, path, query, user info, IP v6 literal or wildcard elsewhere.
Matching compares whole labels: ``evil-example.com`` and ``example.com.evil.net`` never
match ``example.com``. An Origin of ``null`` (a sandboxed frame, a file) matches nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib.auth import scopes, tokens
from chalicelib.auth.principal import Principal
from chalicelib.errors import Forbidden, InvalidToken, NotFound, ValidationError
from chalicelib.ids import new_id, now_iso
from chalicelib.services import authz
from chalicelib.store import public_keys as key_store
from chalicelib.store.errors import ConditionFailed
from chalicelib.store.models import PublicKey

MAX_DOMAINS = 20
PUBLIC_KEY_SCOPES = frozenset({scopes.COMMENTS_READ})
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidPublicKey(InvalidToken):
    """No such public key (malformed, never issued or deleted): Disqus code 5."""

    code = "E_AUTHN_INVALID_PUBLIC_KEY"
    default_message = "The public key is invalid."


class PublicKeyDomainRefused(Forbidden):
    """The request's Origin/Referer is none of the key's domains: Disqus code 11."""

    code = "E_AUTHZ_DOMAIN_REFUSED"
    default_message = "This public key is not valid on this domain."


@dataclass(frozen=True)
class PublicKeyCaller:
    """A request authenticated by a public key, from one of its domains."""

    key_id: str
    workspace_id: str
    origin_host: str  # the host that matched, in ASCII

    @property
    def principal(self) -> Principal:
        return Principal(
            user_id="",
            kind="public_key",
            email_verified=False,
            scopes=PUBLIC_KEY_SCOPES,
            workspace_id=self.workspace_id,
            token_id=self.key_id,
        )


# --- domains -----------------------------------------------------------------------------


def _ascii_host(host: str) -> str | None:
    """Lower-case ASCII (IDNA, UTS 46) form of a host name, without a trailing dot, or
    None when it is not a valid host name."""
    host = host.strip().lower()
    if host.endswith("."):
        host = host[:-1]
    if not host or len(host) > 253:
        return None
    if not host.isascii():
        import idna

        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            return None
    labels = host.split(".")
    return host if all(_LABEL.match(label) for label in labels) else None


def normalize_domain(text: str) -> str:
    """A domain as stored, or ValueError saying what is wrong with it."""
    value = text.strip().lower()
    if "://" in value or any(c in value for c in "/?#@\\[] \t"):
        raise ValueError("must be a host name (no scheme, path, user info or spaces), e.g. example.com")
    host, port = value, ""
    if ":" in value:
        host, _, port = value.rpartition(":")
        if not port.isdigit() or not 1 <= int(port) <= 65535 or port.startswith("0"):
            raise ValueError("has an invalid port (1 to 65535)")
        port = f":{port}"
    wildcard = host.startswith("*.")
    if wildcard:
        host = host[2:]
    if "*" in host:
        raise ValueError("may only use * as its whole first label (*.example.com)")
    ascii_host = _ascii_host(host)
    if ascii_host is None:
        raise ValueError("is not a valid host name")
    if wildcard and ascii_host.count(".") < 1:
        raise ValueError("needs at least two labels after *. (*.example.com)")
    return f"{'*.' if wildcard else ''}{ascii_host}{port}"


def normalize_domains(domains: list[str]) -> list[str]:
    """Each domain normalized (errors name ``domains[i]``), duplicates dropped."""
    if not 1 <= len(domains) <= MAX_DOMAINS:
        raise ValidationError(f"domains must have 1 to {MAX_DOMAINS} items.", field="domains")
    cleaned = []
    for i, domain in enumerate(domains):
        try:
            cleaned.append(normalize_domain(domain))
        except ValueError as error:
            raise ValidationError(f"domains[{i}] {error}.", field=f"domains[{i}]") from None
    return list(dict.fromkeys(cleaned))


# --- origins -----------------------------------------------------------------------------


def request_origin(origin: str | None, referer: str | None) -> tuple[str, int] | None:
    """The (ASCII host, port) the request comes from: its Origin, or without one its
    Referer's origin; None when neither names an http(s) origin (``null`` included:
    an opaque origin never falls back to the Referer)."""
    source = origin if origin is not None and origin.strip() else referer
    if source is None or source.strip().lower() in ("", "null"):
        return None
    try:
        parts = urlsplit(source.strip())
        scheme, hostname, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:  # a port that is not a number, a broken IPv6 literal
        return None
    if scheme not in _DEFAULT_PORTS or not hostname:
        return None
    host = _ascii_host(hostname)
    if host is None:
        return None
    return host, port if port is not None else _DEFAULT_PORTS[scheme]


def domain_matches(domain: str, host: str, port: int) -> bool:
    """Whether a stored domain admits (host, port): whole labels, exact or ``*.`` suffix."""
    pattern, pinned_port = domain, None
    if ":" in domain:
        pattern, _, port_text = domain.rpartition(":")
        pinned_port = int(port_text)
    if pinned_port is not None and pinned_port != port:
        return False
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def authenticate_public_key(key: str, origin: str | None, referer: str | None = None) -> PublicKeyCaller:
    """The Disqus surface's ``api_key`` check: one GetItem (none for a malformed key).

    InvalidPublicKey when the key does not exist; PublicKeyDomainRefused when the
    request's origin (Origin, else Referer) is missing, opaque or none of its domains."""
    if not tokens.is_well_formed_public_key(key):
        raise InvalidPublicKey()
    record = key_store.get(key)
    if record is None:
        raise InvalidPublicKey()
    found = request_origin(origin, referer)
    if found is None:
        raise PublicKeyDomainRefused("The request has no Origin or Referer this public key can be checked against.")
    host, port = found
    if not any(domain_matches(domain, host, port) for domain in record.domains):
        raise PublicKeyDomainRefused()
    return PublicKeyCaller(key_id=record.id, workspace_id=record.workspace_id, origin_host=host)


# --- management (admins and owners) --------------------------------------------------------


def create(principal: Principal, workspace_id: str, domains: list[str]) -> PublicKey:
    authz.workspace_access(principal, workspace_id, role="admin")
    record = key_store.new_public_key(
        tokens.new_public_key(),
        new_id(),
        workspace_id,
        domains=normalize_domains(domains),
        created_by=principal.user_id,
        created_at=now_iso(),
    )
    key_store.create(record)
    return record


def list_keys(
    principal: Principal, workspace_id: str, *, limit: int, position: dict[str, Any] | None
) -> tuple[list[PublicKey], dict[str, Any] | None]:
    authz.workspace_access(principal, workspace_id, role="admin")
    page = key_store.list_for_workspace(workspace_id, limit=limit, position=position)
    return page.items, page.position


def delete(principal: Principal, workspace_id: str, key_id: str) -> None:
    authz.workspace_access(principal, workspace_id, role="admin")
    record = key_store.find(workspace_id, key_id)
    if record is None:
        raise NotFound("Public key not found.")
    try:
        key_store.delete(record)
    except ConditionFailed:
        raise NotFound("Public key not found.") from None
