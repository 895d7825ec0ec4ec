"""Message rendering: markdown to sanitized HTML, and the mentions it carries.

Importing this package is cheap on purpose: the parser and the sanitizer are loaded on
the first render (see ``markdown``), not on every cold start.
"""
