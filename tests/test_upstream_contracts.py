"""The third-party internals our fastest code relies on, checked so an upgrade fails here, by name.

Some code subclasses library classes that are not a public extension point (graphql-core's
executor, Strawberry's WebSocket handler and views, uvicorn's protocols) or reads private
attributes. An upgrade can change them silently; this test turns that into one failure per
internal, naming the file of ours to re-read:

- every upstream method one of our classes overrides (found by walking our classes, so a new
  override cannot be forgotten) has the source hash recorded in ``OVERRIDDEN``: a changed hash
  means the upstream method changed and our override, written against the old one, must be
  re-read (then record the new hash);
- every private or undocumented symbol we read exists (``SYMBOLS``), with the parameters we pass
  (``SIGNATURES``), and instance attributes we touch are still assigned upstream (``ASSIGNED``).

Versions verified: see ``uv.lock`` (graphql-core 3.3.2, strawberry-graphql 0.341.2, uvicorn
0.55.0, websockets 17.4, httptools 0.9.0).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
import textwrap
from typing import Any

import pytest

import graph

TWS = "strawberry.subscriptions.protocols.graphql_transport_ws.handlers"
UVICORN_WS = "uvicorn.protocols.websockets.websockets_sansio_impl"
UVICORN_HTTP = "uvicorn.protocols.http.httptools_impl"

# Base classes from these modules are internals, not documented extension points.
INTERNAL_MODULES = (
    "graphql.execution",
    "strawberry.schema.schema",
    "strawberry.subscriptions",
    "strawberry.asgi",
    "strawberry.http",
    "uvicorn.protocols",
)

# "module:Class.method" upstream -> (our file that overrides it, sha256[:16] of its source).
OVERRIDDEN: dict[str, tuple[str, str]] = {
    "graphql.execution.executor:Executor.build": ("graph/engine/execution.py", "d46e6e4671650b1d"),
    "graphql.execution.executor:Executor.complete_list_value": (
        "graph/engine/execution.py",
        "9c990167dc00ae3d",
    ),
    "strawberry.asgi:ASGIWebSocketAdapter.close": (
        "graph/engine/ws_handler.py",
        "358b3a23d12a53d9",
    ),
    "strawberry.asgi:ASGIWebSocketAdapter.send_json": (
        "graph/engine/ws_handler.py",
        "5e29ebab090aa7e8",
    ),
    "strawberry.asgi:GraphQL.__init__": ("graph/view.py", "50798f49608b0248"),
    "strawberry.asgi:GraphQL.create_response": ("graph/view.py", "40d350318cdd3501"),
    "strawberry.asgi:GraphQL.get_context": ("graph/view.py", "eb12371616d41c5b"),
    "strawberry.asgi:GraphQL.get_sub_response": ("graph/view.py", "549ef3b30fcf1e69"),
    "strawberry.http.async_base_view:AsyncBaseHTTPView.execute_operation": (
        "graph/view.py",
        "118fa53d9a4f1ab0",
    ),
    "strawberry.http.async_base_view:AsyncBaseHTTPView.on_ws_connect": (
        "graph/view.py",
        "6c42319463ea32d6",
    ),
    "strawberry.http.async_base_view:AsyncBaseHTTPView.process_result": (
        "graph/view.py",
        "a2aae942c0ea3033",
    ),
    "strawberry.http.base:BaseView.decode_json": ("graph/view.py", "8e8d1590a7a4f572"),
    "strawberry.http.base:BaseView.encode_json": ("graph/view.py", "912b3af56d822ccd"),
    "strawberry.http.base:BaseView.graphql_ide_html": ("graph/view.py", "f02761dfd76c7e86"),
    "strawberry.http.base:BaseView.should_render_graphql_ide": (
        "graph/view.py",
        "adb1c3354bcc3216",
    ),
    "strawberry.http.base:BaseView.parse_json": ("graph/view.py", "ca6029099015b8f8"),
    f"{TWS}:BaseGraphQLTransportWSHandler.__init__": (
        "graph/engine/ws_handler.py",
        "6cabd699e5c88775",
    ),
    f"{TWS}:BaseGraphQLTransportWSHandler.cleanup_operation": (
        "graph/engine/ws_handler.py",
        "8a18662a57113723",
    ),
    f"{TWS}:BaseGraphQLTransportWSHandler.handle_connection_init": (
        "graph/engine/ws_handler.py",
        "847066d29d48b354",
    ),
    f"{TWS}:BaseGraphQLTransportWSHandler.handle_message": (
        "graph/engine/ws_handler.py",
        "41ae36346a76a3a1",
    ),
    f"{TWS}:BaseGraphQLTransportWSHandler.run_operation": (
        "graph/engine/ws_handler.py",
        "e86f2efc37443654",
    ),
    "strawberry.subscriptions.protocols.graphql_ws.handlers:BaseGraphQLWSHandler.handle_message": (
        "graph/engine/ws_handler.py",
        "dbe2be6ca450e14b",
    ),
    f"{UVICORN_HTTP}:HttpToolsProtocol.__init__": (
        "graph/engine/http_protocol.py",
        "264f2f06759670d4",
    ),
    f"{UVICORN_HTTP}:HttpToolsProtocol.connection_lost": (
        "graph/engine/http_protocol.py",
        "21bb5222b35990e7",
    ),
    f"{UVICORN_HTTP}:HttpToolsProtocol.handle_websocket_upgrade": (
        "graph/engine/http_protocol.py",
        "9eedd6b3bd8e5780",
    ),
    f"{UVICORN_HTTP}:HttpToolsProtocol.on_headers_complete": (
        "graph/engine/http_protocol.py",
        "7e259152e5aade71",
    ),
    f"{UVICORN_HTTP}:HttpToolsProtocol.on_message_begin": (
        "graph/engine/http_protocol.py",
        "0efab6f9456c4987",
    ),
    f"{UVICORN_HTTP}:HttpToolsProtocol.shutdown": (
        "graph/engine/http_protocol.py",
        "4822ef10fa982b12",
    ),
    f"{UVICORN_WS}:WebSocketsSansIOProtocol.__init__": (
        "graph/engine/ws_protocol.py",
        "cdad078596a7c53a",
    ),
    f"{UVICORN_WS}:WebSocketsSansIOProtocol.connection_lost": (
        "graph/engine/ws_protocol.py",
        "bf96e8d2c2929c88",
    ),
    f"{UVICORN_WS}:WebSocketsSansIOProtocol.handle_connect": (
        "graph/engine/ws_protocol.py",
        "0ae16d3d4d871bca",
    ),
    f"{UVICORN_WS}:WebSocketsSansIOProtocol.send": (
        "graph/engine/ws_protocol.py",
        "c5511914bfc5e4c2",
    ),
    f"{UVICORN_WS}:WebSocketsSansIOProtocol.shutdown": (
        "graph/engine/ws_protocol.py",
        "acb3a22483920bf2",
    ),
}

# Private or undocumented symbols read by our code: "module:attribute.path" -> our file.
SYMBOLS: dict[str, str] = {
    "graphql.execution.collect_fields:FieldDetailsList": "graph/engine/execution.py",
    "strawberry.schema.schema_converter:GraphQLCoreConverter.DEFINITION_BACKREF": (
        "graph/engine/execution.py, graph/schema/documentation.py"
    ),
    "strawberry.schema.schema:StrawberryGraphQLCoreExecutionContext": "graph/engine/execution.py",
    "strawberry.permission:PermissionExtension": "graph/engine/execution.py",
    "strawberry.exceptions:PermissionReturnedNonBooleanError": "graph/engine/execution.py",
    f"{TWS}:_OperationStreamClosed": "graph/engine/ws_handler.py",
    f"{TWS}:BaseGraphQLTransportWSHandler._send_result_stream": "graph/engine/ws_handler.py",
    f"{TWS}:BaseGraphQLTransportWSHandler.handle_task_exception": "graph/engine/ws_handler.py",
    f"{TWS}:Operation.send_operation_message": "graph/engine/ws_handler.py",
    "strawberry.utils.aio:aclosing": "graph/engine/ws_handler.py",
    "strawberry.http.ides:get_graphql_ide_html": "graph/graphiql.py",
    f"{UVICORN_WS}:WebSocketsSansIOProtocol": ("graph/engine/ws_protocol.py"),
    f"{UVICORN_HTTP}:HttpToolsProtocol": "graph/engine/http_protocol.py",
    "websockets.exceptions:InvalidState": "graph/engine/ws_protocol.py",
    "websockets.http11:Request": "graph/engine/ws_protocol.py",
}

# Parameters (in order, as a prefix) of internals we call or override: "module:path" -> names.
SIGNATURES: dict[str, tuple[str, list[str]]] = {
    "graphql.execution.executor:Executor.build": (
        "graph/engine/execution.py",
        [
            "schema",
            "document",
            "root_value",
            "context_value",
            "raw_variable_values",
            "operation_name",
        ],
    ),
    "graphql.execution.executor:Executor.complete_list_value": (
        "graph/engine/execution.py",
        ["self", "return_type", "field_details_list", "info", "path", "result", "position_context"],
    ),
    "graphql.execution.executor:Executor.collect_subfields": (
        "graph/engine/execution.py",
        ["self", "return_type", "field_details_list"],
    ),
    "graphql.execution.executor:Executor.handle_field_error": (
        "graph/engine/execution.py",
        ["self", "raw_error", "return_type", "field_details_list", "path"],
    ),
    "graphql.execution.executor:Executor.build_per_event_executor": (
        "graph/engine/subscription_frames.py",
        ["self", "payload"],
    ),
    "graphql.execution.executor:Executor.execute_operation": (
        "graph/engine/subscription_frames.py",
        ["self", "serially"],
    ),
    f"{TWS}:BaseGraphQLTransportWSHandler._send_result_stream": (
        "graph/engine/ws_handler.py",
        ["self", "operation", "result_source"],
    ),
}

# Instance attributes our subclasses read or replace, still assigned by the upstream class.
ASSIGNED: dict[str, tuple[str, list[str]]] = {
    f"{UVICORN_WS}:WebSocketsSansIOProtocol": (
        "graph/engine/ws_protocol.py",
        [
            "queue",
            "writable",
            "conn",
            "transport",
            "handshake_complete",
            "close_sent",
            "request",
            "response",
            "scope",
        ],
    ),
    f"{TWS}:BaseGraphQLTransportWSHandler": (
        "graph/engine/ws_handler.py",
        [
            "operations",
            "connection_init_received",
            "connection_init_timeout_task",
            "websocket",
            "schema",
            "context",
            "root_value",
        ],
    ),
    "strawberry.schema.schema:Schema": ("graph/engine/subscription_frames.py", ["_schema"]),
}


def _resolve(target: str) -> Any:
    module_name, _, path = target.partition(":")
    value: Any = importlib.import_module(module_name)
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _function(value: Any) -> Any:
    """The function behind a method, classmethod, staticmethod or property; else None."""
    value = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
    return value if inspect.isfunction(value) else None


def _digest(function: Any) -> str:
    function = _function(function)
    source = textwrap.dedent(inspect.getsource(function))
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _our_classes() -> list[type]:
    importlib.import_module("graph.app")  # imports the package in its working order

    classes: list[type] = []
    for module_info in pkgutil.walk_packages(graph.__path__, "graph."):
        module = importlib.import_module(module_info.name)
        classes.extend(
            value
            for value in vars(module).values()
            if inspect.isclass(value) and value.__module__ == module.__name__
        )
    return classes


def overridden_upstream() -> dict[str, tuple[str, str]]:
    """Every internal upstream method one of our classes overrides, with its current hash."""
    found: dict[str, tuple[str, str]] = {}
    for cls in _our_classes():
        ours = inspect.getsourcefile(cls) or cls.__module__
        ours = "graph/" + ours.split("/graph/", 1)[-1]
        for name, value in vars(cls).items():
            if _function(value) is None or (name.startswith("__") and name != "__init__"):
                continue
            for base in cls.__mro__[1:]:
                if name not in vars(base):
                    continue
                if base.__module__.startswith(INTERNAL_MODULES) and _function(vars(base)[name]):
                    with_source = vars(base)[name]
                    key = f"{base.__module__}:{base.__qualname__}.{name}"
                    found[key] = (ours, _digest(with_source))
                break
    return found


def test_every_overridden_internal_is_recorded_and_unchanged() -> None:
    current = overridden_upstream()
    assert current, "no overrides found: is the walk broken?"
    new = sorted(set(current) - set(OVERRIDDEN))
    assert not new, f"record these overridden internals in OVERRIDDEN (with their hash): {new}"
    changed = [
        f"{key} changed upstream: re-read {OVERRIDDEN[key][0]}, then record {current[key][1]}"
        for key in sorted(OVERRIDDEN)
        if key in current and current[key][1] != OVERRIDDEN[key][1]
    ]
    assert not changed, "\n".join(changed)
    gone = sorted(set(OVERRIDDEN) - set(current))
    assert not gone, f"no longer overridden (or gone upstream): {gone}"


@pytest.mark.parametrize("target", sorted(SYMBOLS))
def test_internal_symbol_exists(target: str) -> None:
    try:
        _resolve(target)
    except (ImportError, AttributeError) as error:
        pytest.fail(f"{target} is gone ({error}): re-read {SYMBOLS[target]}")


@pytest.mark.parametrize("target", sorted(SIGNATURES))
def test_internal_signature_is_the_one_relied_on(target: str) -> None:
    ours, expected = SIGNATURES[target]
    parameters = list(inspect.signature(_resolve(target)).parameters)
    assert parameters[: len(expected)] == expected, f"{target} changed: re-read {ours}"


@pytest.mark.parametrize("target", sorted(ASSIGNED))
def test_internal_attributes_are_still_assigned_upstream(target: str) -> None:
    ours, names = ASSIGNED[target]
    cls = _resolve(target)
    source = "".join(
        inspect.getsource(base)
        for base in cls.__mro__
        if base.__module__.split(".")[0] != "builtins"
        and not base.__module__.startswith(("typing", "abc", "asyncio"))
    )
    missing = [name for name in names if f"self.{name}" not in source]
    assert not missing, f"{target} no longer assigns {missing}: re-read {ours}"
