#!/usr/bin/env bash
# The production path on this machine, without Docker: PostgreSQL (tests/pg_start.sh),
# a Prefect server with its own database on PostgreSQL, the `samflow` process work pool,
# `prefect deploy` of deploy/prefect.yaml, one Prefect worker, and the web app's launcher
# starting the year through the deployment, then the web app behind a TLS-terminating nginx
# on 127.0.0.1 (as compose.yaml puts it behind Caddy): readiness, HSTS and the request id
# through the proxy, /metrics refused through it. Prints what happened; exits non-zero on
# failure. Needs nginx (apt-get install nginx-light) and openssl.
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
from engine.workflow.batch import jobs
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

echo "== the web app on 127.0.0.1 behind nginx terminating TLS"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
[ -x "$NGINX" ] || { echo "nginx is not installed (apt-get install nginx-light)" >&2; exit 1; }
free_port() { "$BIN/python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
WEB_PORT="$(free_port)"; TLS_PORT="$(free_port)"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 64; }
http {
  access_log $WORK/nginx/access.log;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$TLS_PORT ssl;
    ssl_certificate $WORK/cert.pem;
    ssl_certificate_key $WORK/key.pem;
    location /metrics { return 404; }
    location / {
      proxy_pass http://127.0.0.1:$WEB_PORT;
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
    }
  }
}
NGINX
SAMFLOW_TRUSTED_PROXIES=127.0.0.1 SAMFLOW_LOG_FORMAT=json \
  "$BIN/samflow" serve --host 127.0.0.1 --port "$WEB_PORT" >"$WORK/web.log" 2>&1 &
PIDS+=($!)
"$NGINX" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -g "daemon off;" >"$WORK/nginx.out" 2>&1 &
PIDS+=($!)
START=$SECONDS
until "$BIN/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$WEB_PORT/healthz', timeout=2)" 2>/dev/null; do
  (( SECONDS - START < 60 )) || { cat "$WORK/web.log"; exit 1; }
  sleep 0.5
done
"$BIN/python" - "$TLS_PORT" "$WEB_PORT" <<'EOF'
import json
import ssl
import sys
import time
import urllib.error
import urllib.request

tls, web = sys.argv[1], sys.argv[2]
context = ssl.create_default_context()
context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the test's own cert
for _ in range(20):  # nginx may take a moment to listen
    try:
        ready = urllib.request.urlopen(
            urllib.request.Request(
                f"https://127.0.0.1:{tls}/readyz", headers={"X-Request-ID": "smoke-1"}
            ),
            context=context,
            timeout=10,
        )
        break
    except urllib.error.URLError:
        time.sleep(0.5)
body = json.loads(ready.read())
assert ready.status == 200 and body["status"] == "ready", body
assert ready.headers["X-Request-ID"] == "smoke-1"
assert ready.headers["Strict-Transport-Security"], "no HSTS through the TLS proxy"
print(f"   https /readyz: {body['status']} ({', '.join(c['name'] for c in body['checks'])}), HSTS sent")
try:
    urllib.request.urlopen(f"https://127.0.0.1:{tls}/metrics", context=context, timeout=10)
    raise AssertionError("/metrics was served through the proxy")
except urllib.error.HTTPError as e:
    assert e.code == 404
metrics = urllib.request.urlopen(f"http://127.0.0.1:{web}/metrics", timeout=10).read().decode()
assert 'route="/readyz",status="200"' in metrics and "samflow_tasks_open" in metrics
print("   /metrics: refused through the proxy, served on loopback")
EOF
echo "smoke test passed"
