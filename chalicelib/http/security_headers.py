"""Headers every HTTP answer of the app carries, set in one place (app.py's middleware), so
no surface, fallback, preflight or OAuth page can forget them:

- ``X-Content-Type-Options: nosniff``: nothing is ever sniffed as another type;
- ``Referrer-Policy: no-referrer``: the API's URLs (ids, invite codes) never leave in a
  Referer from a page it serves;
- ``Strict-Transport-Security`` outside the local stage (plain http on 127.0.0.1 there);
- on HTML (the OAuth pages, any other) a strict ``Content-Security-Policy`` when the page did
  not set its own, stricter one: nothing loads, nothing frames it, no form posts anywhere;
- CORS for the API's own web apps: the stage's allowlist (``CORS_ORIGINS`` in
  .chalice/config.json) has its Origin echoed, never ``*`` and never with credentials (the
  API takes Bearer tokens, not cookies). The Disqus surface answers its public-key CORS
  itself (any page of a key's domains; docs/disqus.md) and is left alone.

API Gateway's own answers (unknown paths, throttling) get the same headers from infra/merge.py.
"""

from __future__ import annotations

from typing import Any

HSTS = "max-age=63072000; includeSubDomains"
REFERRER_POLICY = "no-referrer"
HTML_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# What a page of an allowed origin may read besides the CORS-safelisted headers.
EXPOSED = "X-Request-Id, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Idempotent-Replayed"
# Paths that answer CORS themselves (the Disqus surface: a public key's domains).
OWN_CORS_PREFIXES = ("/api/3.0",)


def headers_for(stage: str, content_type: str, present: dict[str, str]) -> dict[str, str]:
    """The security headers an answer lacks (``present``: what it already has)."""
    have = {name.lower() for name in present}
    wanted = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": REFERRER_POLICY}
    if stage != "local":
        wanted["Strict-Transport-Security"] = HSTS
    if content_type.lower().startswith("text/html"):
        wanted["Content-Security-Policy"] = HTML_CSP
    return {name: value for name, value in wanted.items() if name.lower() not in have}


def cors_headers(origin: str | None, path: str, allowed: tuple[str, ...], present: dict[str, str]) -> dict[str, str]:
    """CORS for an allowlisted Origin (exact match), on paths that do not answer it themselves."""
    if path.startswith(OWN_CORS_PREFIXES) or any(n.lower() == "access-control-allow-origin" for n in present):
        return {}
    if not origin or origin not in allowed:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Access-Control-Expose-Headers": EXPOSED}


def _settings() -> Any:
    from chalicelib.config import get_settings

    return get_settings()


def apply(request: Any, response: Any) -> Any:
    """Stamp a Chalice response (the http middleware's)."""
    settings = _settings()
    headers = response.headers
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    headers.update(headers_for(settings.stage, content_type, headers))
    request_headers = getattr(request, "headers", None) or {}
    origin = request_headers.get("origin")
    path = ((getattr(request, "context", None) or {}).get("resourcePath")) or ""
    headers.update(cors_headers(origin, path, settings.cors_origins, headers))
    return response
