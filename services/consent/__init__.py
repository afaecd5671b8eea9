"""Consent, communication preferences and data-subject rights (UK GDPR).

Modules: ``ledger`` (append-only consent decisions), ``preferences``, ``contact``
(``can_contact``), ``restriction``, ``requests`` (DSR lifecycle), ``export``, ``erasure``,
``retention``, ``breach``, ``portal`` (portal accounts and the under-16 rule), ``registry``
(patient-linked tables discovered from the model registry), ``access`` (shared checks).
"""
