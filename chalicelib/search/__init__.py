"""Full-text search: the ``SearchIndex`` port, the query language and the embedded SQLite FTS5 adapter.

Nothing here is wired to the API or the workers yet (see docs/search.md).
"""
