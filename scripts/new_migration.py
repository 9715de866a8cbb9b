"""Autogenerate a migration from portal.models: python scripts/new_migration.py "message" [rev-id]."""

import sys
import tempfile
from pathlib import Path

from alembic import command

from portal.db import alembic_config, upgrade

message = sys.argv[1]
rev_id = sys.argv[2] if len(sys.argv) > 2 else None
with tempfile.TemporaryDirectory() as tmp:
    url = f"sqlite:///{Path(tmp) / 'm.sqlite'}"
    upgrade(url)
    command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)
