#!/usr/bin/env bash
# `make loadtest`: deadline day on a production-like stack on this machine.
#
# Prepares the greencommunity_load database (dropped and recreated), collects the static files into a temporary
# folder, starts gunicorn on a loopback port and a Celery worker on its own Redis database, runs the Locust scenario
# headless, stops both (always, through the trap) and checks the outcome: p95 over all requests, no errors (a 409
# conflict is expected, not an error), and every save and submission the scenario counted present in the database.
# Exits non-zero when a target is missed. Figures and logs go to loadtest/results/.
#
# Settings (environment): LOADTEST_DURATION (5m), LOADTEST_SPAWN_RATE (1), LOADTEST_OFFICERS (80),
# LOADTEST_COMMISSION (10), LOADTEST_INSPECTORS (20), LOADTEST_WORKERS (3), LOADTEST_THREADS (4),
# LOADTEST_PORT (a free one), LOADTEST_DATABASE_URL, LOADTEST_REDIS_URL (redis://127.0.0.1:6379/7),
# LOADTEST_P95_MS (300; "off" checks everything but the response times).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
DURATION=${LOADTEST_DURATION:-5m}
SPAWN_RATE=${LOADTEST_SPAWN_RATE:-1}
WORKERS=${LOADTEST_WORKERS:-3}
THREADS=${LOADTEST_THREADS:-4}
# A free loopback port unless one is given: a fixed one may be taken by another server on the machine.
PORT=${LOADTEST_PORT:-$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
OUT=loadtest/results
export LOADTEST_OFFICERS=${LOADTEST_OFFICERS:-80} LOADTEST_COMMISSION=${LOADTEST_COMMISSION:-10}
export LOADTEST_INSPECTORS=${LOADTEST_INSPECTORS:-20}
USERS=$((LOADTEST_OFFICERS + LOADTEST_COMMISSION + LOADTEST_INSPECTORS))
export LOADTEST_DATABASE_URL=${LOADTEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/greencommunity_load}
REDIS_URL_LOAD=${LOADTEST_REDIS_URL:-redis://127.0.0.1:6379/7}

step() { printf '\n== %s\n' "$*"; }

work=$(mktemp -d -t greencommunity-load.XXXXXX)
pids=()
stop_all() {
  local status=$?
  for pid in "${pids[@]}"; do
    # Each service runs in its own process group (setsid): TERM reaches gunicorn's and Celery's children too.
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  pids=()
  rm -rf "$work"
  return "$status"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

rm -rf "$OUT"
mkdir -p "$OUT"

step "database $(basename "$LOADTEST_DATABASE_URL"): migrate, load_divisions, seed_demo, rollup, deadline-day users"
started=$(date +%s)
$PY loadtest/prepare.py "$OUT"

# Production mode, as the portal runs behind its TLS proxy; plain HTTP on loopback, so no redirect to HTTPS.
export DJANGO_ENV=production DJANGO_SETTINGS_MODULE=loadtest.settings
DJANGO_SECRET_KEY="load-only-$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')"
export DJANGO_SECRET_KEY DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost DJANGO_SECURE_SSL_REDIRECT=0
export DATABASE_URL=$LOADTEST_DATABASE_URL REDIS_URL=$REDIS_URL_LOAD LOG_LEVEL=WARNING
export LOADTEST_STATIC_ROOT=$work/static MEDIA_ROOT=$work/media

step "static files (collectstatic into a temporary folder, served by WhiteNoise)"
$PY manage.py collectstatic --noinput -v0
$PY -c 'import os, redis; redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()'

step "gunicorn ($WORKERS workers × $THREADS threads on 127.0.0.1:$PORT) and a Celery worker on $REDIS_URL"
setsid .venv/bin/celery -A greencommunity worker -l warning --concurrency 1 --prefetch-multiplier 1 \
  --without-gossip --without-mingle --hostname "load@%h" >"$OUT/worker.log" 2>&1 &
worker_pid=$!
pids+=("$worker_pid")
if ! $PY -c "import socket; socket.create_server(('127.0.0.1', $PORT)).close()" 2>/dev/null; then
  echo "port $PORT is in use: set LOADTEST_PORT to a free one" >&2
  exit 1
fi
setsid .venv/bin/gunicorn greencommunity.wsgi:application --bind "127.0.0.1:$PORT" \
  --workers "$WORKERS" --threads "$THREADS" --keep-alive 75 --timeout 60 --graceful-timeout 10 \
  >"$OUT/gunicorn.log" 2>&1 &
gunicorn_pid=$!
pids+=("$gunicorn_pid")
healthz() { $PY -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$PORT/healthz', timeout=5).read().decode())"; }
for _ in $(seq 1 60); do
  kill -0 "$gunicorn_pid" 2>/dev/null || break
  healthz >/dev/null 2>&1 && break
  sleep 0.5
done
# Our gunicorn must be the one answering (running, and with the broker this run gave it), never another server.
kill -0 "$gunicorn_pid" 2>/dev/null || { echo "gunicorn did not start (see $OUT/gunicorn.log)" >&2; exit 1; }
health=$(healthz)
echo "$health"
case "$health" in *'"broker": "ok"'*) ;; *) echo "the server on port $PORT is not this run's" >&2; exit 1 ;; esac
echo "setup took $(($(date +%s) - started)) s"

step "locust: $USERS users ($LOADTEST_OFFICERS officers, $LOADTEST_COMMISSION commission, $LOADTEST_INSPECTORS inspectors), $DURATION"
setsid bash -c 'while true; do echo "$(date +%s) $(cut -d" " -f1-3 /proc/loadavg)"; sleep 5; done' >"$OUT/loadavg.txt" &
pids+=($!)
$PY loadtest/cpu.py "$gunicorn_pid" "$worker_pid" >"$OUT/cpu_before.json"
set +e
LOADTEST_PLAN=$OUT/plan.json LOADTEST_OUT=$OUT .venv/bin/locust -f loadtest/locustfile.py --headless \
  -u "$USERS" -r "$SPAWN_RATE" --run-time "$DURATION" --stop-timeout 40 --host "http://127.0.0.1:$PORT" \
  --csv "$OUT/locust" --json-file "$OUT/locust" --only-summary --loglevel WARNING >"$OUT/locust.log" 2>&1
locust_status=$?
set -e
echo "locust exited with $locust_status (non-zero when a request failed)"
$PY loadtest/cpu.py "$gunicorn_pid" "$worker_pid" >"$OUT/cpu_after.json"

step "stopping gunicorn and the worker"
stop_all
trap - EXIT

step "outcome"
unset DJANGO_ENV DJANGO_SETTINGS_MODULE REDIS_URL
DATABASE_URL=$LOADTEST_DATABASE_URL $PY loadtest/verify.py "$OUT"
