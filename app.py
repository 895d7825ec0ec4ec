"""Disqua's Chalice application: wiring only (blueprints, middleware, event handlers).

Rules live in chalicelib/services, HTTP in chalicelib/api, key formats in
chalicelib/store. Heavy imports (boto3, Powertools utilities) happen on first use.
"""

from __future__ import annotations

from typing import Any

from chalice import Chalice

from chalicelib.api.admin import bans as admin_bans
from chalicelib.api.admin import channels as admin_channels
from chalicelib.api.admin import close as admin_close
from chalicelib.api.admin import messages as admin_messages
from chalicelib.api.admin import reactions as admin_reactions
from chalicelib.api.admin import records as admin_records
from chalicelib.api.admin import roles as admin_roles
from chalicelib.api.admin import surface as admin_surface
from chalicelib.api.admin import users as admin_users
from chalicelib.api.disqus import categories as disqus_categories
from chalicelib.api.disqus import forums as disqus_forums
from chalicelib.api.disqus import moderation_lists as disqus_moderation_lists
from chalicelib.api.disqus import posts as disqus_posts
from chalicelib.api.disqus import surface as disqus_surface
from chalicelib.api.disqus import threads as disqus_threads
from chalicelib.api.disqus import trends as disqus_trends
from chalicelib.api.disqus import users as disqus_users
from chalicelib.api.fallback import register_method_not_allowed
from chalicelib.api.oauth import server as oauth_server
from chalicelib.api.realtime import tickets as realtime_tickets
from chalicelib.api.v1 import apps as app_api
from chalicelib.api.v1 import auth, channels, files, invites, members, messages, push, tokens, users, workspaces
from chalicelib.api.v1 import notifications as notification_api
from chalicelib.api.v1 import public_keys as public_key_api
from chalicelib.api.v1 import search as search_api
from chalicelib.api.v1 import webhooks as webhook_api
from chalicelib.observability import flush_metrics, quiet_libraries, tracer

app = Chalice(app_name="disqua", configure_logs=False)
# Realtime (docs/realtime.md): Chalice's WebSocket API ($connect, $default, $disconnect).
app.experimental_feature_flags.update(["WEBSOCKETS"])
# JSON, except Admin v2's image and file messages (multipart in, bytes out: admin/messages.py);
# v1 uploads go straight to S3.
# (Exact types: chalice matches no wildcards.)
app.api.binary_types = [
    "multipart/form-data",
    "application/octet-stream",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/apng",
]
quiet_libraries()

for blueprint in (
    auth.bp,
    users.bp,
    workspaces.bp,
    members.bp,
    invites.bp,
    channels.bp,
    messages.bp,
    files.bp,
    tokens.bp,
    notification_api.bp,
    push.bp,
    webhook_api.bp,
    search_api.bp,
    oauth_server.bp,
    app_api.bp,
    public_key_api.bp,
    realtime_tickets.bp,
    disqus_forums.bp,
    disqus_threads.bp,
    disqus_posts.bp,
    disqus_trends.bp,
    disqus_users.bp,
    disqus_moderation_lists.bp,
    disqus_categories.bp,
    disqus_surface.bp,  # the /api/3.0 catch-all: code 1 or 415
    admin_channels.bp,
    admin_records.bp,
    admin_bans.bp,
    admin_close.bp,
    admin_messages.bp,
    admin_reactions.bp,
    admin_users.bp,
    admin_roles.bp,
    admin_surface.bp,  # the /api/v2 catch-all: Admin v2's 404
):
    app.register_blueprint(blueprint)
register_method_not_allowed(app)


@app.middleware("all")
def observe(event: Any, get_response: Any) -> Any:
    # The Tracer (prod only) patches botocore on first use: DynamoDB, SQS and SES
    # calls become X-Ray subsegments. Metrics are published once per invocation.
    tracer()
    try:
        return get_response(event)
    finally:
        flush_metrics()


@app.middleware("http")
def security_headers(event: Any, get_response: Any) -> Any:
    # nosniff, Referrer-Policy, HSTS off the local stage, CSP on HTML, CORS allowlist.
    from chalicelib.http import security_headers as stamp

    return stamp.apply(event, get_response(event))


# The stream ARN is a placeholder: `make package` points the event source at the
# table's stream (infra/merge.py); the local runtime pumps the stream itself.
TABLE_STREAM_PLACEHOLDER = "arn:aws:dynamodb:us-east-1:000000000000:table/disqua/stream/placeholder"


@app.on_dynamodb_record(stream_arn=TABLE_STREAM_PLACEHOLDER, batch_size=100, starting_position="TRIM_HORIZON")
def route_events(event: Any) -> None:
    from chalicelib.workers import router

    router.route(event.to_dict()["Records"])


@app.on_sqs_message(queue="email", batch_size=10)
def send_emails(event: Any) -> dict[str, Any]:
    from chalicelib.workers import email
    from chalicelib.workers.consumer import process_sqs_batch

    return process_sqs_batch(event.to_dict(), email.CONSUMER, email.handle)


@app.on_sqs_message(queue="activity", batch_size=10)
def track_activity(event: Any) -> dict[str, Any]:
    from chalicelib.workers import activity
    from chalicelib.workers.consumer import process_sqs_batch

    return process_sqs_batch(event.to_dict(), activity.CONSUMER, activity.handle, claimed=activity.CLAIMED)


@app.on_sqs_message(queue="notifications", batch_size=10)
def notify(event: Any) -> dict[str, Any]:
    from chalicelib.workers import notifications

    return notifications.handle_batch(event.to_dict())


@app.on_sqs_message(queue="push", batch_size=10)
def push_notifications(event: Any) -> dict[str, Any]:
    from chalicelib.workers import push

    return push.handle_batch(event.to_dict())


@app.on_sqs_message(queue="webhooks", batch_size=10)
def deliver_webhooks(event: Any) -> dict[str, Any]:
    from chalicelib.workers import webhooks

    return webhooks.handle_batch(event.to_dict())


@app.on_sqs_message(queue="search", batch_size=10)
def index_for_search(event: Any) -> dict[str, Any]:
    from chalicelib.workers import search

    return search.handle_batch(event.to_dict())


@app.on_sqs_message(queue="closes", batch_size=1)
def close_channels(event: Any) -> dict[str, Any]:
    from chalicelib.workers import channel_close

    return channel_close.handle_batch(event.to_dict())


@app.on_sqs_message(queue="realtime", batch_size=10)
def fan_out_realtime(event: Any) -> dict[str, Any]:
    from chalicelib.workers import realtime

    return realtime.handle_batch(event.to_dict())


@app.on_ws_connect()
def realtime_connect(event: Any) -> dict[str, Any]:
    from chalicelib.api.realtime import websocket

    return websocket.connect(event.to_dict())


@app.on_ws_message()
def realtime_message(event: Any) -> dict[str, Any]:
    from chalicelib.api.realtime import websocket

    return websocket.message(event.to_dict())


@app.on_ws_disconnect()
def realtime_disconnect(event: Any) -> dict[str, Any]:
    from chalicelib.api.realtime import websocket

    return websocket.disconnect(event.to_dict())


@app.on_sqs_message(queue="files", batch_size=1)
def process_uploads(event: Any) -> dict[str, Any]:
    # S3 notifications, not our events: processing is made exactly-once by the file's
    # own state transition (pending -> processing), not by an event claim.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from chalicelib.workers import files

    return process_partial_response(
        event=event.to_dict(),
        record_handler=lambda record: files.handle(record.body),
        processor=BatchProcessor(event_type=EventType.SQS),
    )
