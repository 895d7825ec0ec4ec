"""The WebSocket API of the local runtime: API Gateway's WebSocket side, stood in for.

- ``gateway``: connections, the proxy events API Gateway sends to the app's
  ``$connect``/``$default``/``$disconnect`` handlers, and the Management API's three
  calls (post, delete, get) on those connections. No sockets: the tests drive it
  in-process (tests/conftest.py ``realtime``).
- ``management``: the Management API over HTTP, answered as API Gateway does (status,
  error type, JSON), so the unchanged boto3 ``apigatewaymanagementapi`` client works
  against it; it also serves the live channel page (``static/``).
- ``server``: WebSocket clients and that HTTP API on one port, with ``websockets``.
"""
