"""The Disqus-compatible comments API 3.0 (docs/disqus.md): its surface and endpoints."""
