#!/bin/sh
# Entrypoint of the DataSud image.
#
#   entrypoint.sh init           wait for PostgreSQL, Solr and Redis, then create or
#                                upgrade the database (CKAN core, plugins, DataSud)
#   entrypoint.sh web            the web app (gunicorn)
#   entrypoint.sh worker         the Celery worker
#   entrypoint.sh beat           the Celery beat (periodic tasks)
#   entrypoint.sh gather         the harvest gather consumer
#   entrypoint.sh fetch          the harvest fetch consumer
#   entrypoint.sh services-ready check PostgreSQL, Solr and Redis once (exit 0 or 1)
#   entrypoint.sh COMMAND ...    run anything else, e.g. `ckan sysadmin add admin`
#
# Configuration comes from the environment only (see config/production.ini and
# docker-compose.yml). DATASUD_WAIT_TIMEOUT: seconds `init` waits for the services
# (default 180).
set -eu

app_dir=$(cd "$(dirname "$0")/.." && pwd)
CKAN_INI=${CKAN_INI:-$app_dir/config/production.ini}
export CKAN_INI

die() {
    echo "entrypoint: $*" >&2
    exit 1
}

# CKAN copies every CKAN_* environment variable into its ini parser (so that the
# ini can say %(CKAN_SECRET_KEY)s), and that parser fails on a lone "%" with an
# obscure traceback. Say so plainly instead.
check_environment() {
    bad=$(env | sed -n 's/^\(CKAN_[A-Za-z0-9_]*\)=.*%.*$/\1/p' | tr '\n' ' ' | sed 's/ $//')
    if [ -n "$bad" ]; then
        die "these variables contain a '%', which CKAN's configuration cannot hold: $bad"
    fi
}

require_ini() {
    [ -f "$CKAN_INI" ] || die "CKAN configuration not found: $CKAN_INI (set CKAN_INI)"
}

# wait_for TIMEOUT SERVICE...: wait until each service (postgres, solr, redis)
# answers, at most TIMEOUT seconds (0: try once). Uses the same URLs as CKAN.
wait_for() {
    python - "$@" <<'PY'
import base64
import json
import os
import sys
import time
import urllib.request


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"entrypoint: {name} is not set")
    return value


def postgres():
    import psycopg2

    # an SQLAlchemy URL; libpq takes it once the "+driver" part is gone
    scheme, sep, rest = env("CKAN_SQLALCHEMY_URL").partition("://")
    psycopg2.connect(scheme.split("+")[0] + sep + rest, connect_timeout=5).close()


def solr():
    request = urllib.request.Request(env("CKAN_SOLR_URL").rstrip("/") + "/admin/ping?wt=json")
    user = os.environ.get("CKAN_SOLR_USER")
    if user:
        password = os.environ.get("CKAN_SOLR_PASSWORD", "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", "Basic " + token)
    with urllib.request.urlopen(request, timeout=5) as response:
        status = json.load(response).get("status")
    if status != "OK":
        raise RuntimeError(f"ping status {status!r}")


def redis():
    import redis

    redis.Redis.from_url(env("CKAN_REDIS_URL"), socket_connect_timeout=5, socket_timeout=5).ping()


checks = {"postgres": postgres, "solr": solr, "redis": redis}
timeout = float(sys.argv[1])
pending = sys.argv[2:]
unknown = [name for name in pending if name not in checks]
if unknown:
    sys.exit(f"entrypoint: unknown service(s): {', '.join(unknown)}")

deadline = time.monotonic() + timeout
errors = {}
while True:
    for name in list(pending):
        try:
            checks[name]()
        except Exception as exc:  # not ready yet: remember why
            errors[name] = f"{type(exc).__name__}: {exc}".strip()
        else:
            print(f"entrypoint: {name} is ready", flush=True)
            pending.remove(name)
    if not pending:
        break
    if time.monotonic() >= deadline:
        for name in pending:
            print(f"entrypoint: {name} not ready after {timeout:g}s: {errors[name]}", file=sys.stderr)
        sys.exit(1)
    time.sleep(2)
PY
}

check_environment
[ $# -gt 0 ] || set -- web

case "$1" in
    init)
        require_ini
        wait_for "${DATASUD_WAIT_TIMEOUT:-180}" postgres solr redis
        ckan -c "$CKAN_INI" db init
        ckan -c "$CKAN_INI" db upgrade -p datasud
        echo "entrypoint: database initialised and up to date"
        ;;
    web)
        require_ini
        exec gunicorn --chdir "$app_dir/config" --bind 0.0.0.0:5000 \
            --workers "${CKAN_WEB_WORKERS:-4}" --timeout 120 wsgi:application
        ;;
    worker)
        require_ini
        exec celery --app ckanext.datasud.celery_app worker --loglevel INFO
        ;;
    csw)
        # the INSPIRE discovery service (pycsw), reached by the web app's /csw and fed by
        # the worker; its configuration written from the portal's, its records loaded
        require_ini
        mkdir -p /var/lib/ckan/csw
        ckan -c "$CKAN_INI" datasud csw config /var/lib/ckan/csw/pycsw.cfg
        PYCSW_CONFIG=/var/lib/ckan/csw/pycsw.cfg /opt/pycsw/bin/gunicorn \
            --chdir "$app_dir/ckanext-datasud/ckanext/datasud/csw" --bind 0.0.0.0:8000 \
            --workers 2 pycsw_service:application &
        csw_pid=$!
        trap 'kill -TERM "$csw_pid" 2>/dev/null' TERM INT
        sleep 5
        ckan -c "$CKAN_INI" datasud csw sync || echo "entrypoint: the discovery service is loaded by the nightly task" >&2
        wait "$csw_pid"
        ;;
    beat)
        require_ini
        exec celery --app ckanext.datasud.celery_app beat --loglevel INFO \
            --schedule /var/lib/ckan/celerybeat-schedule
        ;;
    gather)
        require_ini
        exec ckan -c "$CKAN_INI" datasud harvest-consumer gather
        ;;
    fetch)
        require_ini
        exec ckan -c "$CKAN_INI" datasud harvest-consumer fetch
        ;;
    services-ready)
        wait_for 0 postgres solr redis
        ;;
    *)
        exec "$@"
        ;;
esac
