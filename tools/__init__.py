"""Developer tools (never packaged)."""
