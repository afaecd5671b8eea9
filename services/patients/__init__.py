"""The patient record: demographics, contact, medical history, insurance, guardians, search.

Modules: ``records`` (create, read, rectify), ``search``, ``merge``, ``medical_history``,
``insurance``, ``guardians``, ``validation``, ``sealing`` (encrypted columns), ``key_rotation``.
"""
