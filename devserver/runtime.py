"""`python -m devserver` (`make run`): the API on 127.0.0.1 with an embedded AWS.

moto's server runs in this process; the table, queues and buckets are created from
infra/resources.yaml (devserver.resources); chalice.local serves HTTP; pump threads
deliver the stream and the queues to the same handlers Lambda runs; the WebSocket API
and its Management API stand-in (devserver/realtime) listen on a second port.

Order matters: the environment (fake credentials, moto's endpoint, resource names,
stage) is complete before the app is imported, so every boto3 and PynamoDB client
the app creates talks to moto, and nothing here can reach a real AWS account.
State lives in memory: each start begins with empty tables and queues.

Settings: PORT (8000), WS_PORT (PORT + 1), DISQUA_VAR_DIR (var/, for the signing keys
and the outbox), OUTBOX_DIR (<var>/outbox). stdout carries two lines, when ready (the
API's URL, then the WebSocket API's); logs go to stderr.
"""

from __future__ import annotations

import errno
import importlib
import json
import logging
import os
import signal
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REGION = "us-east-1"
STAGE = "local"
PREFIX = "disqua-local"

log = logging.getLogger("devserver")


def main() -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    # The app prints to stdout as it would in Lambda (Powertools logs, EMF metrics);
    # here stdout carries only the ready line, which scripts and tests wait for.
    ready_out, sys.stdout = sys.stdout, sys.stderr
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from chalicelib.observability import quiet_libraries

    quiet_libraries()  # before the first client, not at the app's import
    port = int(os.environ.get("PORT") or 8000)
    ws_port = int(os.environ.get("WS_PORT") or port + 1)
    var_dir = Path(os.environ.get("DISQUA_VAR_DIR") or ROOT / "var").resolve()
    started = time.monotonic()
    with ExitStack() as running:  # unwinds in reverse: HTTP, WebSockets, pumps, moto
        try:
            base_url, ws_url = start(running, port, var_dir, ws_port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            log.error("port %d or %d is in use: stop what runs there or set PORT and WS_PORT", port, ws_port)
            return 1
        except RuntimeError as exc:  # e.g. an unreadable var/local-secrets.json
            log.error("%s", exc)
            return 1
        log.info("started in %.1f s; emails go to %s", time.monotonic() - started, os.environ["OUTBOX_DIR"])
        print(f"Disqua API ready at {base_url}", file=ready_out, flush=True)
        print(f"Disqua realtime ready at {ws_url}", file=ready_out, flush=True)
        while not stop.wait(1):
            pass
        log.info("stopping")
    log.info("stopped")
    return 0


def start(running: ExitStack, port: int, var_dir: Path, ws_port: int) -> tuple[str, str]:
    """Start everything, registering how to stop it on ``running``; returns the API's
    URL and the WebSocket API's."""
    isolate_from_real_aws()
    moto = start_moto()
    running.callback(moto.stop)
    endpoint = "http://{}:{}".format(*moto.get_host_and_port())
    base_url = f"http://{HOST}:{port}"

    chalice_config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    from chalice.config import Config

    from devserver import local_secrets

    # The stage's variables from .chalice/config.json, as `chalice local` applies
    # them (a variable already set in the shell wins), then the local wiring.
    for name, value in Config(STAGE, config_from_disk=chalice_config).environment_variables.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # EMF blobs on every request are noise here
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,  # boto3 and PynamoDB (botocore clients) both honour it
            "DISQUA_STAGE": STAGE,
            "EMAIL_TRANSPORT": "outbox",
            "OUTBOX_DIR": str(Path(os.environ.get("OUTBOX_DIR") or var_dir / "outbox").resolve()),
            "PUBLIC_BASE_URL": base_url,
            # The Management API stand-in (devserver/realtime), for the app and its workers.
            "REALTIME_ENDPOINT": f"http://{HOST}:{ws_port}",
            "SIGNING_KEYS": local_secrets.signing_keys(var_dir),
            "VAPID_KEYS": local_secrets.vapid_keys(var_dir),
        }
    )
    import boto3

    from devserver import resources

    session = boto3.session.Session()
    os.environ.update(resources.app_environment(resources.create_all(session, prefix=PREFIX)))

    app = import_app()
    from devserver import gateway, pump

    api_config = Config(STAGE, user_provided_params={"chalice_app": app}, config_from_disk=chalice_config)
    server = gateway.create_server(app, api_config, HOST, port)
    running.callback(server.server.server_close)

    realtime = start_realtime(running, app, ws_port)

    pumps = pump.pumps_for(app, session, STAGE, chalice_config)
    running.callback(stop_threads, pumps)
    for p in pumps:
        p.start()

    http = threading.Thread(target=server.server.serve_forever, name="http", daemon=True)
    http.start()
    running.callback(server.shutdown)  # returns once serve_forever has stopped
    return base_url, realtime.url


def start_realtime(running: ExitStack, app: Any, ws_port: int) -> Any:
    """The WebSocket API and the Management API stand-in on ``ws_port`` (serving)."""
    from devserver.realtime.gateway import WebSocketGateway
    from devserver.realtime.server import RealtimeServer

    gateway = WebSocketGateway(app, stage=STAGE, domain_name=f"{HOST}:{ws_port}")
    server = RealtimeServer(gateway, HOST, ws_port)
    thread = threading.Thread(target=server.serve_forever, name="realtime", daemon=True)
    thread.start()
    running.callback(server.shutdown)  # closes the clients (1001), then stops serving
    return server


def isolate_from_real_aws() -> None:
    """Fake credentials, one region, and no profile, config file or endpoint override."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL_") or name in (
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        ):
            del os.environ[name]
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            # botocore would otherwise want account-based DynamoDB endpoints, which
            # breaks DynamoDB Streams against moto.
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }
    )


def start_moto() -> Any:
    from moto.server import ThreadedMotoServer

    from devserver import moto_fixes

    # Without it a cancelled transaction (e.g. a sign-up with a taken email) swaps
    # the table's stream shard and the stream pump would never see another record.
    moto_fixes.apply()
    # Its request log (werkzeug) would drown ours: several polls a second.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)  # port 0: any free one
    server.start()
    return server


def import_app() -> Any:
    """Import app.py as Lambda does, and check its routes as `chalice local` does."""
    from chalice.deploy.validate import validate_routes

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    app = importlib.import_module("app").app
    validate_routes(app.routes)
    return app


def stop_threads(threads: list[Any], timeout: float = 10.0) -> None:
    """Let each pump finish its current batch, then wait for it (bounded)."""
    for t in threads:
        t.stop()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            log.warning("%s did not stop in time", t.name)
