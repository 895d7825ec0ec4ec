"""Admin API v2 (/api/v2): the admin console surface (docs/admin-v2.md)."""
