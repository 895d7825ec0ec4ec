"""Recording every DynamoDB call a request makes, with what it costs.

Where to hook: pynamodb builds its own botocore session and client (so a hook on a
boto3 session never sees them), and the store also calls that client directly
(``throttle.increment`` uses ``conn.client.transact_write_items``), which bypasses
``pynamodb.connection.base.Connection._make_api_call``. Every botocore client,
however it was created, funnels each operation through
``botocore.client.BaseClient._make_api_call(operation_name, api_params)``: patching
that one method on the class sees all of them, with the parsed request and response,
before moto's ``before-send`` handler answers. Event hooks (``before-call.dynamodb``)
would have to be registered on every session, including ones created later.

The images a write needs for its capacity (the item before and after) and the
table's key and indexes (DescribeTable: index writes are charged too) are read
through the unpatched method, so they are never counted.

Calls made inside ``chalicelib.services.authn.authenticate`` are tagged ``auth``:
routing looks the function up on the module at each request, so replacing the
module attribute is enough.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from bench import capacity
from bench.capacity import Capacity, TableSchema, WriteImage, WriteTarget

if TYPE_CHECKING:
    from chalicelib.auth.principal import Principal

# Operations that accept ReturnConsumedCapacity (so moto's figure can be shown too).
_REPORTS_CAPACITY = capacity.READ_OPERATIONS | capacity.WRITE_OPERATIONS


@dataclass(frozen=True)
class ApiCall:
    operation: str
    phase: str  # "auth" (inside authenticate) or "handler"
    computed: Capacity
    reported: float  # moto's ConsumedCapacity, for comparison
    error: str | None = None


@dataclass
class Recorder:
    calls: list[ApiCall] = field(default_factory=list)
    active: bool = False
    phase: str = "handler"
    _original: Callable[..., Any] | None = None
    _authenticate: Callable[[str | None], Principal] | None = None
    _schemas: dict[str, TableSchema] = field(default_factory=dict)

    # -- installing ---------------------------------------------------------------
    def install(self) -> None:
        from chalicelib.services import authn

        original = self._original = BaseClient._make_api_call
        authenticate = self._authenticate = authn.authenticate
        recorder = self

        def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if not recorder.active or client.meta.service_model.service_name != "dynamodb":
                return original(client, operation, params)
            return recorder._record(client, operation, params)

        def counted_authenticate(authorization: str | None) -> Principal:
            previous, recorder.phase = recorder.phase, "auth"
            try:
                return authenticate(authorization)
            finally:
                recorder.phase = previous

        BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
        authn.authenticate = counted_authenticate

    def uninstall(self) -> None:
        from chalicelib.services import authn

        if self._original is not None:
            BaseClient._make_api_call = self._original  # type: ignore[method-assign]
        if self._authenticate is not None:
            authn.authenticate = self._authenticate  # type: ignore[assignment]
        self._original = self._authenticate = None

    @contextmanager
    def recording(self) -> Iterator[list[ApiCall]]:
        """Collect the calls made inside the block (and only those)."""
        start = len(self.calls)
        self.active = True
        collected: list[ApiCall] = []
        try:
            yield collected
        finally:
            self.active = False
            collected.extend(self.calls[start:])

    # -- one call -------------------------------------------------------------------
    def _record(self, client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation in _REPORTS_CAPACITY and "ReturnConsumedCapacity" not in params:
            params = {**params, "ReturnConsumedCapacity": "TOTAL"}
        targets = capacity.write_targets(operation, params, lambda table: self._schema_of(client, table).key)
        before = [self._read_item(client, t) for t in targets]
        error: ClientError | None = None
        try:
            response = self._call(client, operation, params)
        except ClientError as exc:  # a failed condition still costs capacity
            error, response = exc, exc.response
        images = [
            WriteImage(b, self._read_item(client, t), self._schema_of(client, t.table).indexes)
            for b, t in zip(before, targets, strict=True)
        ]
        self.calls.append(
            ApiCall(
                operation=operation,
                phase=self.phase,
                computed=capacity.estimate(operation, params, response, images),
                reported=_reported_units(response),
                error=error.response.get("Error", {}).get("Code") if error else None,
            )
        )
        if error is not None:
            raise error
        return response

    def _call(self, client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        assert self._original is not None
        return self._original(client, operation, params)

    def _read_item(self, client: BaseClient, target: WriteTarget) -> dict[str, Any] | None:
        got = self._call(client, "GetItem", {"TableName": target.table, "Key": target.key, "ConsistentRead": True})
        return got.get("Item")

    def _schema_of(self, client: BaseClient, table: str) -> TableSchema:
        if table not in self._schemas:
            described = self._call(client, "DescribeTable", {"TableName": table})
            self._schemas[table] = TableSchema.from_description(described["Table"])
        return self._schemas[table]


def _reported_units(response: dict[str, Any]) -> float:
    consumed = response.get("ConsumedCapacity") or []
    if isinstance(consumed, dict):
        consumed = [consumed]
    return float(sum(c.get("CapacityUnits", 0.0) for c in consumed))


def total_capacity(calls: list[ApiCall]) -> Capacity:
    """What a list of recorded calls cost, summed (each call's computed capacity)."""
    return sum((c.computed for c in calls), Capacity())


def operations(calls: list[ApiCall]) -> str:
    """The calls' operations, in order, without the "Item" suffix ("Get, BatchGet, Query")."""
    return ", ".join(c.operation.removesuffix("Item") for c in calls) or "-"


class CallCosts:
    """A measured row's costs, from its ``calls`` (mixed into the bench sections' rows)."""

    calls: list[ApiCall]

    @property
    def capacity(self) -> Capacity:
        return total_capacity(self.calls)

    @property
    def operations(self) -> str:
        return operations(self.calls)
