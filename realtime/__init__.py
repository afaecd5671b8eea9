"""Real-time delivery of committed domain events to GraphQL subscribers.

Pipeline: a change and its ``domain_event`` rows commit together (``db.uow``); the relay
publishes a thin envelope (topic, practice, sequence, ids) to the bus channel
``practice:{id}:{topic}``; each server process keeps one feed per watched practice which,
woken by an envelope, reads the committed rows it has not delivered yet from the table, checks
every subscriber's authorisation again, renders each event once per (topic, permission set)
group and writes it straight to each subscriber's socket when the socket can take it at once,
else to the subscriber's bounded queue (``realtime.subscriber``).

Delivery guarantee, as a client sees it:

- **At-least-once.** Every committed event reaches every authorised live subscriber; the table,
  not the bus, is the source of truth. Sequences are gap-free per practice and a later sequence
  is only ever committed after the earlier ones, so a feed woken by sequence *n* loads
  everything up to *n* it has not delivered (lost, late or reordered envelopes change nothing),
  and after a bus reconnect every feed catches up from the table. While the bus is down each
  feed reads the table on a short timer instead, so delivery continues with the same marks.
  Rows a crashed process committed but never published are published by any process's relay
  poll.
- **Ordered per practice.** Events of one practice arrive in sequence order; there is no order
  between practices.
- **Deduplicated by sequence.** Within one subscription an event is delivered once. Across a
  reconnect the client passes ``since`` (the last sequence it processed) and gets exactly the
  events after it, then live ones, with no gap or duplicate at the seam; a client that may
  have processed an event without recording it should drop any ``sequence <= since`` itself.
- **Bounded.** A ``since`` older than the kept window (``AESCRM_EVENT_RETENTION_DAYS``) or
  further back than ``AESCRM_MAX_REPLAY_EVENTS`` answers ``RESYNC_REQUIRED``: reload, then
  subscribe without ``since``. A subscriber that does not read its events closes with 4008.
- Rolled-back transactions emit nothing: events exist only as rows of committed transactions.
"""
