"""Realtime's surfaces: the ticket route (v1) and the WebSocket frames (docs/realtime.md)."""
