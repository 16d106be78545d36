# DataSud — the CKAN portal of Région Sud as one image for every CKAN process
# (web, Celery worker and beat, harvest consumers, database init): see
# docker-compose.yml and docker/entrypoint.sh.
#
#   docker build -t datasud/ckan .

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------
# Build stage: the Python dependencies in a virtualenv (psycopg2 is built from
# source, hence the compiler and libpq's headers, which stay in this stage).
FROM ${PYTHON_IMAGE} AS build

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential libpq-dev \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

WORKDIR /srv/datasud
COPY requirements.txt ./
RUN pip install -r requirements.txt

# pycsw (the INSPIRE discovery service, `entrypoint.sh csw`) in a virtualenv of its own:
# it needs an older OWSLib than ckanext-spatial's
COPY requirements-pycsw.txt ./
RUN python -m venv /opt/pycsw && /opt/pycsw/bin/pip install -r requirements-pycsw.txt

# ---------------------------------------------------------------------------
# Runtime stage
FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="DataSud" \
      org.opencontainers.image.description="Portail régional des données ouvertes de la Région Sud (CKAN 2.11)" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

# Shared libraries of psycopg2, shapely/pyproj (GEOS, PROJ), lxml, python-magic;
# curl for debugging; procps for the harvest consumers' health checks (pgrep);
# postgresql-client (15, as the db service) for `ckan datasud backup|restore`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpq5 libgeos-c1v5 libproj25 libxml2 libxslt1.1 libmagic1 curl procps postgresql-client \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    CKAN_INI=/srv/datasud/config/production.ini \
    CKAN_STORAGE_PATH=/var/lib/ckan

# gunicorn's control socket in the container's own /tmp: its default, under $HOME
# (/var/lib/ckan, the storage volume), would be shared by every web container.
ENV GUNICORN_CMD_ARGS="--control-socket /tmp/gunicorn.ctl"

# The unprivileged user of every process; /var/lib/ckan (uploads, webassets,
# Celery beat's schedule) is its only writable place, a volume in production.
RUN groupadd --system --gid 900 ckan \
    && useradd --system --uid 900 --gid ckan --home-dir /var/lib/ckan \
        --no-create-home --shell /usr/sbin/nologin ckan \
    && install -d -o ckan -g ckan -m 0750 /var/lib/ckan

COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/pycsw /opt/pycsw

WORKDIR /srv/datasud
COPY . /srv/datasud

# The DataSud extension itself; then drop the empty ckanext/__init__.py that
# ckanext-spatial's wheel ships, which would hide the other ckanext.* packages
# (ckanext is a namespace package); then check they all import.
RUN pip install -e . \
    && ckanext_init="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ckanext/__init__.py" \
    && if [ -f "$ckanext_init" ] && [ ! -s "$ckanext_init" ]; then rm -f "$ckanext_init"; fi \
    && python -c "import ckanext.datasud, ckanext.activity, ckanext.scheming, ckanext.dcat, ckanext.harvest, ckanext.spatial"

# The extension's message catalogues (.po -> .mo), when it has any.
RUN if find ckanext-datasud -name '*.po' | grep -q .; then \
        python setup.py compile_catalog; \
    else \
        echo "no .po file: no message catalogue to compile"; \
    fi

RUN chmod 0755 docker/entrypoint.sh

USER ckan
EXPOSE 5000

ENTRYPOINT ["/srv/datasud/docker/entrypoint.sh"]
CMD ["web"]
