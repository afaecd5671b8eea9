"""Config for the ``tortoise`` CLI (``tortoise -c db.tortoise_cli.TORTOISE_ORM makemigrations``)."""

import os

from db.config import tortoise_config

TORTOISE_ORM = tortoise_config(os.environ.get("AESCRM_DATABASE_URL", "sqlite://var/aescrm.sqlite3"))
