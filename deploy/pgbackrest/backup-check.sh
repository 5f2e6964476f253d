#!/bin/sh
# Health of the backup sidecar: the newest backup finished less than MAX_AGE_HOURS ago (26 by
# default: one daily backup and some slack) and the stanza's WAL archive works.
set -eu
STANZA=${PGBACKREST_STANZA:-jp}
MAX_AGE=$(( ${MAX_AGE_HOURS:-26} * 3600 ))
stop=$(pgbackrest --stanza="$STANZA" info --output=json \
  | tr ',' '\n' | sed -n 's/.*"stop":\([0-9]*\).*/\1/p' | sort -n | tail -1)
[ -n "$stop" ] || { echo "no backup yet"; exit 1; }
age=$(( $(date +%s) - stop ))
[ "$age" -le "$MAX_AGE" ] || { echo "newest backup is ${age}s old"; exit 1; }
pgbackrest --stanza="$STANZA" check >/dev/null
echo "newest backup ${age}s old, archive OK"
