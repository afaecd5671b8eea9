"""Handlers of the platform's own scheduled work (see ``services.jobs.schedules``)."""

from __future__ import annotations
