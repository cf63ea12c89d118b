#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on 127.0.0.1 for the store tests and print its URL.
# Uses Debian's postgresql package (installed by .ci/run); the cluster lives in a temporary folder.
set -euo pipefail
PORT="${PG_PORT:-54329}"
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
DIR="$(mktemp -d)"
chown postgres "$DIR"
su postgres -s /bin/sh -c "'$BIN/initdb' -D '$DIR/data' -A trust -U postgres >/dev/null"
su postgres -s /bin/sh -c "'$BIN/pg_ctl' -D '$DIR/data' -l '$DIR/log' -o '-h 127.0.0.1 -p $PORT -k $DIR' -w start >/dev/null"
su postgres -s /bin/sh -c "'$BIN/createdb' -h 127.0.0.1 -p $PORT -U postgres planner_test"
echo "postgresql://postgres@127.0.0.1:$PORT/planner_test"
