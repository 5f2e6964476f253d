#!/bin/sh
# The backup sidecar (docker-compose service `pgbackrest`): create the stanza once, take a full
# backup if there is none, then every day at BACKUP_HOUR (container time, UTC unless TZ is set)
# a full backup on BACKUP_FULL_WEEKDAY (1 = Monday ... 7 = Sunday) and an incremental one on the
# other days. WAL is archived continuously by PostgreSQL itself (archive_command), so a restore
# can reach any moment between backups. Expiry follows repo1-retention-full.
set -eu
STANZA=${PGBACKREST_STANZA:-jp}
HOUR=${BACKUP_HOUR:-18}            # 18:00 UTC = 03:00 Asia/Seoul, after the nightly run
FULL_WEEKDAY=${BACKUP_FULL_WEEKDAY:-7}

pgbackrest --stanza="$STANZA" stanza-create
pgbackrest --stanza="$STANZA" check
if ! pgbackrest --stanza="$STANZA" info --output=json | grep -q '"type":"full"'; then
  pgbackrest --stanza="$STANZA" --type=full backup
fi
while true; do
  now=$(date +%s)
  next=$(date -d "$(date +%Y-%m-%d) ${HOUR}:00" +%s)
  [ "$next" -le "$now" ] && next=$((next + 86400))
  sleep $((next - now))
  if [ "$(date +%u)" = "$FULL_WEEKDAY" ]; then type=full; else type=incr; fi
  pgbackrest --stanza="$STANZA" --type="$type" backup || echo "backup ($type) failed" >&2
done
