"""The version of AES CRM this process runs, shown to operators and partners.

Read once at import from the installed package's metadata, which the build generates from
``pyproject.toml``'s ``[project].version`` (the one place a version is written). Metadata and
not the pyproject file: an installed wheel or container image has no pyproject to read, and
``make install`` reinstalls whenever pyproject.toml changes (``tests/test_release.py`` fails if
the two ever disagree). ``/healthz`` reports it, and every GraphQL response over HTTP carries it
in ``extensions.version`` so a partner can tell which contract answered.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Final

DISTRIBUTION: Final = "aescrm"
VERSION: Final = version(DISTRIBUTION)

__all__ = ["DISTRIBUTION", "VERSION"]
