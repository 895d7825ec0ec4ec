"""Credentials and tokens: password hashing, access/refresh/API token formats, scopes."""
