"""Durable jobs: enqueue in the change's transaction, run by workers with retries and leases.

See ``queue`` (enqueue), ``registry`` (handlers), ``runner`` (run due jobs once), ``worker``
(the long-running loop), ``schedules`` (cron-like entries) and the README's "Jobs" section.
"""
