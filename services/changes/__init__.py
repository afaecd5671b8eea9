"""Incremental sync (issue 19 part 5): what changed since a cursor, for partners and staff.

The feed is the outbox (``db.outbox``), the same log that feeds subscriptions and webhooks:
``kinds`` says which domain events are changes of which object and how, ``cursors`` makes and
checks the opaque position a caller keeps, and ``feed`` reads one page through the one
visibility policy (``services.visibility.visible_events``, which webhooks use too).
"""
