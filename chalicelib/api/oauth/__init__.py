"""The OAuth 2.0 authorization server over HTTP (server.py: routes; pages.py: the HTML)."""
