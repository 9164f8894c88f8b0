#!/usr/bin/env bash
# Start a throwaway PostgreSQL on 127.0.0.1 for the test suite and print its URL.
# Works as root (runs the server as the `postgres` user) or as an ordinary user.
# Reuses a server already running on the port. Usage: eval "$(tests/pg_start.sh)"
set -euo pipefail
PORT="${SAMFLOW_PG_PORT:-55432}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -n "$BIN" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
DATA="${SAMFLOW_PG_DATA:-/tmp/samflow-pg-$PORT}"
RUN_AS=()
if [ "$(id -u)" = "0" ]; then RUN_AS=(runuser -u postgres --); fi

if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  echo "export SAMFLOW_TEST_PG_URL=postgresql://postgres@127.0.0.1:$PORT/postgres"
  exit 0
fi
if [ ! -s "$DATA/PG_VERSION" ]; then
  mkdir -p "$DATA"
  [ "$(id -u)" = "0" ] && chown postgres "$DATA"
  "${RUN_AS[@]}" "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
SOCK="$DATA"
"${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PORT -k $SOCK -c max_connections=200" \
  start >/dev/null
echo "export SAMFLOW_TEST_PG_URL=postgresql://postgres@127.0.0.1:$PORT/postgres"
