#!/usr/bin/env bash
# Start a throwaway PostgreSQL on 127.0.0.1 for the test suite and print shell lines that set
# its URL and a command that stops it again. Works as root (runs the server as the `postgres`
# user) or as an ordinary user. It never reuses a server it did not start: it takes a free
# port (SAMFLOW_PG_PORT to ask for one; refused if that port is taken) and a fresh data
# directory, removed again by the stop command.
# Usage: eval "$(tests/pg_start.sh)"; ...; eval "$SAMFLOW_PG_STOP"
set -euo pipefail
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -n "$BIN" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

port_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}
if [ -n "${SAMFLOW_PG_PORT:-}" ]; then
  PORT="$SAMFLOW_PG_PORT"
  port_free "$PORT" || { echo "port $PORT on 127.0.0.1 is taken; unset SAMFLOW_PG_PORT to pick a free one" >&2; exit 1; }
else
  PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
fi
DATA="$(mktemp -d "${TMPDIR:-/tmp}/samflow-pg-$PORT.XXXXXX")"
RUN_AS=()
if [ "$(id -u)" = "0" ]; then RUN_AS=(runuser -u postgres --); chown postgres "$DATA"; fi
"${RUN_AS[@]}" "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PORT -k $DATA -c max_connections=200" \
  start >/dev/null
STOP="${RUN_AS[*]} $BIN/pg_ctl -D $DATA -m fast -w stop >/dev/null 2>&1; rm -rf $DATA"
echo "export SAMFLOW_TEST_PG_URL=postgresql://postgres@127.0.0.1:$PORT/postgres"
printf 'export SAMFLOW_PG_STOP=%q\n' "$STOP"
