"""Trusted documents (persisted operations): GraphQL documents registered in advance, run by id.

A partner app set to "trusted documents only" runs nothing but the documents its organisation's
admins registered for it, so a leaked token cannot be turned into arbitrary queries; the
practice's own apps may be held to the same rule (``AESCRM_TRUSTED_DOCUMENTS_FIRST_PARTY``).

- ``ids``: a document's id (``sha256:`` + hex SHA-256 of its exact text), and the id a request
  names (``documentId``, or Apollo's ``extensions.persistedQuery.sha256Hash``);
- ``registry``: register, list and remove documents (organisation admins, the operator's CLI);
- ``lookup``: the text a request runs, from a small per-process cache.
"""
