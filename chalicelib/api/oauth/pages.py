"""The authorization page's HTML: login, consent and error (the contract in docs/oauth.md).

Server-rendered, inline CSS only, no JavaScript, no third-party assets. Every value that
comes from a request or the database goes through ``html.escape`` (``_e``), attributes
included (quotes escaped).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from chalicelib.services.oauth import WorkspaceChoice

_STYLE = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f5f5f7;color:#1d1d1f;margin:0;
padding:0 1rem}
main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:12px;
box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin:.8rem 0 .2rem}
input[type=email],input[type=password],select{width:100%;box-sizing:border-box;padding:.55rem;font-size:1rem;
border:1px solid #8e8e93;border-radius:6px}
button{font-size:1rem;padding:.6rem 1.2rem;margin:1.2rem .5rem 0 0;border-radius:6px;border:1px solid #1d1d1f;
background:#fff;cursor:pointer}
button[value=allow],#login-form button{background:#0b57d0;color:#fff;border-color:#0b57d0}
/* near-black ring outside the control: over 15:1 against the card and the page (WCAG 1.4.11 asks 3:1) */
:focus-visible{outline:3px solid #1d1d1f;outline-offset:2px}
[role=alert]{background:#fde7e9;color:#8a1c1c;padding:.6rem .8rem;border-radius:6px}
ul#scopes{padding-left:1.2rem}
.muted{color:#555;font-size:.9rem}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)} - Disqua</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _alert(message: str | None) -> str:
    return f'<p role="alert">{_e(message)}</p>' if message else ""


def login_page(action: str, csrf_token: str, *, app_name: str, message: str | None = None, email: str = "") -> str:
    return _document(
        "Log in",
        f"<h1>Log in to Disqua</h1>"
        f'<p class="muted">to continue to {_e(app_name)}</p>'
        f"{_alert(message)}"
        f'<form id="login-form" method="post" action="{_e(action)}">'
        '<label for="email">Email</label>'
        f'<input id="email" name="email" type="email" autocomplete="username" required value="{_e(email)}">'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password" required>'
        f'<input type="hidden" name="csrf_token" value="{_e(csrf_token)}">'
        '<input type="hidden" name="action" value="login">'
        '<button type="submit">Log in</button>'
        "</form>",
    )


def consent_page(
    action: str,
    csrf_token: str,
    *,
    app_name: str,
    homepage: str | None,
    scopes: Sequence[tuple[str, str]],
    workspaces: Sequence[WorkspaceChoice],
    installs: bool,
) -> str:
    items = "".join(f'<li data-scope="{_e(scope)}">{_e(words)}</li>' for scope, words in scopes)
    options = "".join(
        f'<option value="{_e(w.id)}">{_e(w.name)}{"" if w.installed else " (installs the app)"}</option>'
        for w in workspaces
    )
    link = f'<p><a href="{_e(homepage)}" rel="noopener noreferrer">{_e(homepage)}</a></p>' if homepage else ""
    note = (
        '<p class="muted">Where the app is not installed yet, allowing installs it for the workspace '
        "(you are an admin there).</p>"
        if installs
        else ""
    )
    return _document(
        f"Authorize {app_name}",
        f"<h1>Authorize {_e(app_name)}</h1>{link}"
        f'<form id="consent-form" method="post" action="{_e(action)}">'
        f"<p>{_e(app_name)} asks to:</p>"
        f'<ul id="scopes">{items}</ul>'
        '<label for="workspace">Workspace</label>'
        f'<select id="workspace" name="workspace_id">{options}</select>{note}'
        f'<input type="hidden" name="csrf_token" value="{_e(csrf_token)}">'
        '<input type="hidden" name="action" value="consent">'
        '<button type="submit" name="decision" value="allow">Allow</button>'
        '<button type="submit" name="decision" value="deny">Deny</button>'
        "</form>",
    )


def error_page(message: str) -> str:
    return _document("Authorization error", f'<h1>Authorization error</h1><p role="alert">{_e(message)}</p>')
