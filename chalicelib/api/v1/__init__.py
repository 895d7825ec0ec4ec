"""Disqua API v1 (`/v1`, `/oauth`): one Blueprint per resource."""
