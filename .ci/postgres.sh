#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on 127.0.0.1 for the store tests and print its URL.
# Uses Debian's postgresql package (installed by .ci/run); the cluster lives in a temporary folder.
# PG_PORT picks the port; without it, the first free port from 54329 up is used.
# PG_DIR_FILE, when set, receives the cluster's folder so the caller can stop it
# (pg_ctl -D <folder>/data stop) and remove it.
set -euo pipefail
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
PORT="${PG_PORT:-54329}"
if [ -z "${PG_PORT:-}" ]; then
  while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done
fi
DIR="$(mktemp -d)"
chown postgres "$DIR"
if [ -n "${PG_DIR_FILE:-}" ]; then echo "$DIR" > "$PG_DIR_FILE"; fi
su postgres -s /bin/sh -c "'$BIN/initdb' -D '$DIR/data' -A trust -U postgres >/dev/null"
su postgres -s /bin/sh -c "'$BIN/pg_ctl' -D '$DIR/data' -l '$DIR/log' -o '-h 127.0.0.1 -p $PORT -k $DIR' -w start >/dev/null"
su postgres -s /bin/sh -c "'$BIN/createdb' -h 127.0.0.1 -p $PORT -U postgres planner_test"
echo "postgresql://postgres@127.0.0.1:$PORT/planner_test"
