#!/usr/bin/env bash
# The production path on this machine, without Docker: PostgreSQL (tests/pg_start.sh),
# a Prefect server with its own database on PostgreSQL, the `samflow` process work pool,
# `prefect deploy` of deploy/prefect.yaml, one Prefect worker, and the web app's launcher
# starting the year through the deployment. Prints what happened; exits non-zero on failure.
# Usage: bash deploy/smoke_test.sh      (takes about a minute; cleans up after itself)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
BIN="$ROOT/.venv/bin"
eval "$(tests/pg_start.sh)"
PG="${SAMFLOW_TEST_PG_URL%/*}"
WORK="$(mktemp -d)"
SUFFIX="$$"
PIDS=()
stop() {  # TERM; a Prefect worker waits for its runs until a second TERM; then KILL
  for signal in TERM TERM KILL; do
    kill -s "$signal" "$1" 2>/dev/null || return 0
    for _ in $(seq 20); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.5; done
  done
}
cleanup() {
  for pid in "${PIDS[@]}"; do stop "$pid"; done
  for db in "samflow_smoke_$SUFFIX" "prefect_smoke_$SUFFIX"; do
    psql_cmd "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  done
  rm -rf "$WORK"
  eval "$SAMFLOW_PG_STOP"
}
psql_cmd() {
  "$BIN/python" -c "import sys, psycopg; c = psycopg.connect('$PG/postgres', autocommit=True); c.execute(sys.argv[1])" "$1"
}
trap cleanup EXIT
psql_cmd "CREATE DATABASE samflow_smoke_$SUFFIX"
psql_cmd "CREATE DATABASE prefect_smoke_$SUFFIX"

export SAMFLOW_DATABASE_URL="$PG/samflow_smoke_$SUFFIX"
export PREFECT_HOME="$WORK/prefect-home" PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1
export PREFECT_API_DATABASE_CONNECTION_URL="postgresql+asyncpg://${PG#postgresql://}/prefect_smoke_$SUFFIX"
PORT="$("$BIN/python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")"

echo "== Prefect server on 127.0.0.1:$PORT (its database: PostgreSQL prefect_smoke_$SUFFIX)"
"$BIN/prefect" server start --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
PIDS+=($!)
export PREFECT_API_URL="http://127.0.0.1:$PORT/api"
START=$SECONDS
until "$BIN/python" -c "import urllib.request; urllib.request.urlopen('$PREFECT_API_URL/health', timeout=2)" 2>/dev/null; do
  (( SECONDS - START < 180 )) || { cat "$WORK/server.log"; exit 1; }
  sleep 1
done
echo "   healthy after $((SECONDS - START)) s"

echo "== samflow database and organisation"
"$BIN/samflow" db upgrade
"$BIN/samflow" org import examples/units.csv examples/people.csv | tail -1

echo "== work pool, deployments (deploy/prefect.yaml, working directory: this checkout)"
"$BIN/prefect" work-pool create samflow --type process >/dev/null
sed "s#directory: /srv/samflow#directory: $ROOT#" deploy/prefect.yaml >"$WORK/prefect.yaml"
"$BIN/prefect" --no-prompt deploy --all --prefect-file "$WORK/prefect.yaml" >"$WORK/deploy.log" 2>&1 \
  || { cat "$WORK/deploy.log"; exit 1; }
"$BIN/prefect" deployment ls

echo "== a worker, and the web app's launcher starting the year"
"$BIN/prefect" worker start --pool samflow --type process >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
"$BIN/python" - <<'EOF'
import time

from api.prefect_launcher import PrefectLauncher
from engine.workflow import jobs
from engine.context import Actor, App
from engine.settings import Settings

app = App.from_settings(Settings.from_env())
job = jobs.create(app, Actor.system("smoke"), "start_year", {"year": 2027}, "prefect")
began = time.perf_counter()
ref = PrefectLauncher(app).submit(job)
print(f"   flow run {ref} created in {time.perf_counter() - began:.2f} s")
for _ in range(120):
    view = jobs.get(app, job)
    if view.status in ("done", "failed"):
        break
    time.sleep(1)
print(f"   job {job}: {view.status} after {time.perf_counter() - began:.0f} s, result {view.result}")
assert view.status == "done" and view.external_ref == ref, view
EOF
echo "== the sweep deployment, run by the worker"
"$BIN/prefect" deployment run sweep/sweep --watch >"$WORK/sweep.log" 2>&1 \
  || { cat "$WORK/sweep.log" "$WORK/worker.log"; exit 1; }
grep -E "state|Completed" "$WORK/sweep.log" | tail -2
echo "smoke test passed"
