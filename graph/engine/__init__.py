"""The engine room: the only code that reaches into library internals, kept in one place.

Each module here subclasses a library class that is not a documented extension point, or reads
a private attribute. ``tests/test_upstream_contracts.py`` records every upstream method these
classes override (with its source hash) and every private symbol, signature and instance
attribute relied on, so an upgrade that moves one fails there once, naming the file to re-read.
Code outside this package uses only public APIs (bar ``Schema._schema``, listed there too).

Verified with graphql-core 3.3.2, strawberry-graphql 0.341.2, uvicorn 0.55.0, websockets 17.4
and httptools 0.9.0 (``uv.lock``).

Two kinds of code live here:

Fixes, always on (they change behaviour, not speed):
- ``execution.CheckedExecutor`` (graphql-core ``ExecutionContext.build``): variables are
  checked for bad characters and their coercion failures become coded request errors.
- ``http_protocol.HttpProtocol`` (uvicorn ``HttpToolsProtocol``: ``cycle``, ``transport``,
  ``on_message_begin``, ``on_headers_complete``, ``handle_websocket_upgrade``, ``shutdown``):
  a stopping worker answers every request a client already sent.
- ``ws_protocol.WebSocketProtocol`` (uvicorn ``WebSocketsSansIOProtocol.shutdown``, ``conn``,
  ``transport``, ``queue``): a server going away closes sockets with 1001.
- ``ws_handler.TextWebSocketAdapter``, ``CheckedTransportWSHandler``, ``LegacyWSHandler``
  (Strawberry's adapter and protocol handlers): text frames, 4400 on malformed messages,
  a socket cap's own close code.

Shortcuts, for speed and memory (``AESCRM_ENGINE_SHORTCUTS=false`` falls back to the stock
Strawberry/uvicorn paths; ``make test`` runs the real-time and board tests both ways):
- ``execution.Executor`` (graphql-core ``complete_list_value``, ``collect_subfields``,
  ``handle_field_error``; Strawberry's ``DEFINITION_BACKREF`` and permission extension): a
  board's appointments completed in bulk by generated code.
- ``ws_handler.TransportWSHandler`` (Strawberry ``run_operation`` copied with one change,
  ``cleanup_operation``, ``_send_result_stream``, ``operations``): a live subscription writes
  its own frames and detaches from its operation task.
- ``subscription_frames`` (graphql-core ``build_per_event_executor`` / ``execute_operation``):
  an event is executed and serialized once per group of sockets.
- ``ws_protocol.LeanWebSocketProtocol``: less state per socket, and a synchronous frame writer
  the fan-out uses without waking a task per socket.
"""
