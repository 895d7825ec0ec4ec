"""bench/costs.py: the arithmetic of the cost model, its price table, and that what it prices is
measured (a real send through the API, the stream and the workers, in moto)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import costs
from bench.notifications import AWS_CALL_S, FULL_VCPU_MB


def test_the_price_table_says_where_each_price_comes_from() -> None:
    table = costs.load_prices()
    assert table.region == "us-east-1" and table.date
    for key, price in table.prices.items():
        assert price.source.startswith("https://aws.amazon.com/"), key
        assert price.usd >= 0 and price.per and price.note, key
    assert table["dynamodb_streams_read_request"] == 0  # free for Lambda triggers, the stack's only reader


def test_lambda_is_billed_per_started_millisecond_at_its_memory() -> None:
    assert costs.Invocation("f", 512, 0.1001).billed_ms == 101
    assert costs.Invocation("f", 512, 0.0).billed_ms == 1
    assert costs.Invocation("f", 1024, 0.25).gb_seconds == pytest.approx(0.25)
    assert costs.Invocation("f", 512, 0.25).gb_seconds == pytest.approx(0.125)
    # CPU time here at the function's vCPU share, plus a round figure per AWS call
    assert costs.lambda_seconds(0.1, 3, 512) == pytest.approx(0.1 * FULL_VCPU_MB / 512 + 3 * AWS_CALL_S)
    assert costs.lambda_seconds(0.1, 0, 4096) == pytest.approx(0.1)  # never more than a whole vCPU


def test_cpu_time_counts_the_work_not_the_waiting() -> None:
    import time

    with costs.cpu_time() as idle:
        time.sleep(0.2)
    with costs.cpu_time() as busy:
        sum(i * i for i in range(2_000_000))
    assert idle.cpu_seconds < 0.05 < busy.cpu_seconds


def _usage() -> costs.Usage:
    return costs.Usage(
        "two sends",
        units=2,
        api_requests=2,
        invocations=[
            costs.Invocation("api_handler", 512, 0.0404),
            costs.Invocation("api_handler", 512, 0.05),
            costs.Invocation("route_events", 256, 0.02),
        ],
        read_units=3.0,
        write_units=16.0,
        stream_reads=4,
        sqs_requests=24,
        s3_tier1=2,
        s3_tier2=6,
        stored_bytes=2 * 1024**3,
        log_bytes=1024**3,
        capacity_by_function={"api_handler": (1.0, 4.0), "track_activity": (2.0, 12.0)},
    )


def test_each_line_is_quantity_per_unit_times_its_price() -> None:
    prices = costs.load_prices()
    items = {line.item: line for line in costs.lines(_usage(), prices)}
    gb_s_api = (41 + 50) / 1000 * 0.5
    expected = {
        "API Gateway REST requests": 1 * prices["apigateway_rest_request"],
        "Lambda requests": 1.5 * prices["lambda_request"],
        "Lambda compute: api_handler (512 MB)": gb_s_api / 2 * prices["lambda_gb_second"],
        "Lambda compute: route_events (256 MB)": 0.02 * 0.25 / 2 * prices["lambda_gb_second"],
        "DynamoDB write request units": 8 * prices["dynamodb_write_request_unit"],
        "DynamoDB read request units": 1.5 * prices["dynamodb_read_request_unit"],
        "DynamoDB Streams GetRecords": 0.0,
        "SQS requests": 12 * prices["sqs_request"],
        "S3 PUT/COPY/LIST requests": 1 * prices["s3_tier1_request"],
        "S3 GET/HEAD requests": 3 * prices["s3_tier2_request"],
        "S3 storage, one month": 1 * prices["s3_storage_gb_month"],
        "CloudWatch Logs (the app's lines)": 0.5 * prices["logs_ingested_gb"],
        "CloudWatch Logs (Lambda's platform lines, estimated)": 1.5
        * costs.PLATFORM_LOG_BYTES
        / 1024**3
        * prices["logs_ingested_gb"],
    }
    assert set(items) == set(expected)
    for item, usd in expected.items():
        assert items[item].usd == pytest.approx(usd), item
    assert costs.total(list(items.values())) == pytest.approx(sum(expected.values()))
    assert items["DynamoDB write request units"].quantity == 8
    assert "track_activity 6, api_handler 2" in items["DynamoDB write request units"].cut


def test_the_totals_follow_the_price_table(tmp_path: Path) -> None:
    data = json.loads(costs.PRICES.read_text())
    data["prices"]["dynamodb_write_request_unit"]["usd"] *= 2
    doubled = tmp_path / "prices.json"
    doubled.write_text(json.dumps(data))
    usage = _usage()
    before = costs.total(costs.lines(usage, costs.load_prices()))
    after = costs.total(costs.lines(usage, costs.load_prices(doubled)))
    assert after - before == pytest.approx(8 * costs.load_prices()["dynamodb_write_request_unit"])


def test_a_send_is_measured_through_the_whole_pipeline() -> None:
    usage = costs.measure("send", costs.sends_in_a_burst, 2)
    by_function = usage.by_function()
    # the handler, the router, and every worker message.created reaches; not the indexer: search
    # is off in the stack's defaults, so the router sends it nothing (workers/router.skipped_queues)
    assert {"api_handler", "route_events", "track_activity", "notify", "deliver_webhooks"} <= set(by_function)
    assert "index_for_search" not in by_function
    assert len(by_function["api_handler"]) == usage.api_requests == 2
    config = json.loads((costs.ROOT / ".chalice" / "config.json").read_text())
    assert {i.memory_mb for i in usage.invocations} == {config["lambda_memory_size"]}
    seconds = [i.seconds for i in usage.invocations]
    assert all(s > 0 for s in seconds) and len(set(seconds)) > 1  # measured, not a constant
    assert usage.write_units > 0 and usage.read_units > 0
    assert sum(w for _, w in usage.capacity_by_function.values()) == pytest.approx(usage.write_units)
    # the message, its channel and the rate limiter's counter (on, as in the AWS stages), at least
    assert usage.capacity_by_function["api_handler"][1] >= 3
    # the router's SendMessage(Batch) to 4 queues, each drained by one receive and one delete
    assert usage.sqs_requests >= 3 * 4
    assert usage.stream_reads >= 1
    assert usage.log_bytes > 0  # the app's INFO lines, as the stages log  # GetRecords polled
