#!/usr/bin/env bash
# 社区议事厅: back up the database to $BACKUP_DIR and keep the last $KEEP_DAYS days.
#   PostgreSQL (DATABASE_URL=postgresql://...): pg_dump custom format, restore with pg_restore.
#   SQLite (no DATABASE_URL or sqlite:///...): `consult backup`, a consistent online copy.
# Copy the files off this machine too (another disk, another building): a backup next to the
# database it protects does not survive the disk. Restoring: docs/operations.md 「备份与恢复」.
set -euo pipefail

BACKUP_DIR="${BACKUP_DIR:-/var/backups/portal}"
KEEP_DAYS="${KEEP_DAYS:-14}"
# the consult command (may be several words, e.g. "python -m portal.cli")
read -r -a CONSULT <<< "${CONSULT:-/opt/portal/.venv/bin/consult}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
umask 077
mkdir -p "$BACKUP_DIR"

case "${DATABASE_URL:-sqlite}" in
  postgresql*|postgres*)
    # pg_dump does not understand SQLAlchemy's driver suffix (postgresql+psycopg://).
    url="$(printf '%s' "$DATABASE_URL" | sed -E 's#^postgres(ql)?\+[a-z0-9]+://#postgresql://#')"
    out="$BACKUP_DIR/portal-$stamp.dump"
    pg_dump --format=custom --no-owner --file="$out.part" "$url"
    ;;
  *)
    out="$BACKUP_DIR/portal-$stamp.sqlite"
    "${CONSULT[@]}" backup "$out.part"
    ;;
esac
mv "$out.part" "$out"   # only a finished backup gets its final name
echo "backup written: $out ($(du -h "$out" | cut -f1))"

find "$BACKUP_DIR" -maxdepth 1 -name 'portal-*' -type f -mtime "+$KEEP_DAYS" -print -delete
