"""Outbound webhooks for partner apps (issue 18 part 6).

Endpoints (``endpoints``) are registered per partner OAuth client by organisation admins;
committed domain events are fanned out to them durably (``fanout``: one delivery row per
endpoint per event, created by a job that advances a per-practice cursor in the same
transaction); each delivery is rendered at send time through the partner's scopes and the
patient's data-sharing consent (``payloads``), signed per Standard Webhooks (``signing``) and
sent to an address checked against SSRF at registration and again at delivery (``targets``,
``sending``); failures are retried by the job runner and disable the endpoint after
``disable_after`` consecutive failures (``delivery``).
"""
