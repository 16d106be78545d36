"""Operating the portal with bin/datasud: logs, durability of the services, one gunicorn
control socket per instance, the dependency audit (issue 10, items 17, 18, 21 and the audit).

These tests run bin/datasud itself, as an operator does, against the services the suite
runs on (the web app started here uses config/test.ini and this run's test database).
"""
from __future__ import annotations

import configparser
import hashlib
import importlib.util
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
DATASUD = ROOT / "bin" / "datasud"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def datasud_env(var: Path, **extra: str) -> dict[str, str]:
    """The environment of a bin/datasud command using the suite's services, with its own
    var/ (logs, pids) under ``var``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CKAN_", "DATASUD_"))}
    env.update({
        "DATASUD_VAR": str(var),
        "DATASUD_PG_PORT": os.environ.get("CKAN_PG_PORT", "5432"),
        "DATASUD_REDIS_PORT": os.environ.get("CKAN_REDIS_PORT", "6379"),
        "DATASUD_SOLR_PORT": os.environ.get("CKAN_SOLR_PORT", "8983"),
        "CKAN_TEST_DB": os.environ.get("CKAN_TEST_DB", "datasud_test"),
    })
    env.update(extra)
    return env


def run_datasud(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(DATASUD), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


@pytest.fixture
def instance_var(tmp_path):
    """A var/ of its own for a web app started by bin/datasud: the machine's secrets (the
    services' passwords) copied in, and the PostgreSQL fallback folder bin/datasud makes
    for a var/ the postgres user cannot reach removed afterwards."""
    made = []

    def make(name: str = "var") -> Path:
        var = tmp_path / name
        var.mkdir()
        env_file = ROOT / "var" / "datasud.env"
        if env_file.exists():
            shutil.copy(env_file, var / "datasud.env")
        made.append(var)
        return var

    yield make
    for var in made:
        shutil.rmtree(Path("/var/lib/postgresql/datasud") / hashlib.sha256(str(var).encode()).hexdigest()[:12],
                      ignore_errors=True)


def failing_ini(tmp_path: Path) -> Path:
    """config/test.ini with one page (/about) whose template raises, and the logging of
    config/development.ini (the one `bin/datasud up` serves with)."""
    templates = tmp_path / "templates" / "home"
    templates.mkdir(parents=True)
    (templates / "about.html").write_text("{{ h.datasud_logging_test_missing_helper() }}\n")
    development = configparser.RawConfigParser()
    development.read(ROOT / "config" / "development.ini")
    logging_sections = [s for s in development.sections()
                        if s in ("loggers", "handlers", "formatters") or s.startswith(("logger_", "handler_", "formatter_"))]
    lines = ["[DEFAULT]", "debug = false", "", "[app:main]", f"use = config:{ROOT / 'config' / 'test.ini'}",
             f"extra_template_paths = {tmp_path / 'templates'}", ""]
    for section in logging_sections:
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {value}" for key, value in development.items(section, raw=True))
        lines.append("")
    ini = tmp_path / "failing.ini"
    ini.write_text("\n".join(lines))
    return ini


def start_web(var: Path, ini: Path) -> tuple[dict[str, str], str]:
    port = free_port()
    env = datasud_env(var, DATASUD_WEB_PORT=str(port), CKAN_INI=str(ini))
    result = run_datasud("web", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return env, f"http://127.0.0.1:{port}"


def stop(env: dict[str, str]) -> None:
    result = run_datasud("down", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------------------
# 17. Every exception of the web app lands in var/log/, appended
# ---------------------------------------------------------------------------------

def test_a_500_of_the_web_app_leaves_its_traceback_in_var_log_across_restarts(tmp_path, instance_var):
    var = instance_var()
    ini = failing_ini(tmp_path)
    web_log = var / "log" / "web.log"

    env, url = start_web(var, ini)
    try:
        assert requests.get(f"{url}/api/3/action/status_show", timeout=30).ok
        response = requests.get(f"{url}/about", timeout=60)
        assert response.status_code == 500
    finally:
        stop(env)
    first = web_log.read_text()
    assert "Traceback (most recent call last)" in first
    assert "datasud_logging_test_missing_helper" in first  # the exception itself, with its cause
    assert first.count("datasud_logging_test_missing_helper") >= 1

    # A restart appends: the first traceback is still there, and the second one follows it.
    env, url = start_web(var, ini)
    try:
        assert requests.get(f"{url}/about", timeout=60).status_code == 500
    finally:
        stop(env)
    second = web_log.read_text()
    assert second.startswith(first)
    assert second[len(first):].count("Traceback (most recent call last)") >= 1
    assert "datasud_logging_test_missing_helper" in second[len(first):]


def test_background_processes_append_to_their_logs():
    """start_daemon (Celery worker and beat, harvest consumers, mail) and Solr append."""
    script = DATASUD.read_text()
    start_daemon = script[script.index("start_daemon() {"):]
    start_daemon = start_daemon[:start_daemon.index("\n}\n")]
    assert '>>"$LOG/$name.log"' in start_daemon
    assert not re.search(r'(?<!>)>"\$LOG/', start_daemon), "a log truncated at each start"
    start_solr = script[script.index("start_solr() {"):]
    start_solr = start_solr[:start_solr.index("\n}\n")]
    assert '>>"$LOG/solr.log"' in start_solr


# ---------------------------------------------------------------------------------
# 21. One gunicorn control socket per instance
# ---------------------------------------------------------------------------------

def test_two_instances_each_have_their_own_control_socket(tmp_path, instance_var):
    from gunicorn.ctl.client import ControlClient

    ini = failing_ini(tmp_path)
    shared = Path.home() / ".gunicorn" / "gunicorn.ctl"
    shared_before = shared.stat().st_ino if shared.exists() else None
    first_var, second_var = instance_var("first"), instance_var("second")
    first_env, _ = start_web(first_var, ini)
    try:
        second_env, _ = start_web(second_var, ini)
        try:
            for var in (first_var, second_var):
                ctl = var / "run" / "web.ctl"
                assert ctl.exists() and stat.S_ISSOCK(ctl.stat().st_mode), f"no control socket {ctl}"
                master = int((var / "run" / "web.pid").read_text())
                deadline = time.monotonic() + 30
                while True:  # the control server thread starts just after the master
                    try:
                        with ControlClient(str(ctl), timeout=10) as client:
                            answer = client.send_command("show all")
                        break
                    except Exception:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.5)
                assert answer["arbiter"]["pid"] == master  # this instance's, not the other's
            # neither instance took (nor replaced) the user-wide default socket
            assert (shared.stat().st_ino if shared.exists() else None) == shared_before
        finally:
            stop(second_env)
    finally:
        stop(first_env)
    assert not (first_var / "run" / "web.ctl").exists()


# ---------------------------------------------------------------------------------
# 18. Durable services
# ---------------------------------------------------------------------------------

def _pg_setting(name: str) -> tuple[str, str]:
    import sqlalchemy as sa
    import ckan.plugins.toolkit as tk

    engine = sa.create_engine(tk.config["sqlalchemy.url"])
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(sa.text("select setting, source from pg_settings where name = :n"),
                                      {"n": name}).one())
    finally:
        engine.dispose()


def test_postgresql_runs_durable():
    assert _pg_setting("fsync")[0] == "on"
    assert _pg_setting("full_page_writes")[0] == "on"
    # synchronous_commit may be off for the test databases only (set on the database by
    # `bin/datasud test`), never for the whole cluster
    setting, source = _pg_setting("synchronous_commit")
    assert setting == "on" or source == "database", (setting, source)


def test_only_test_databases_skip_waiting_for_commits():
    import sqlalchemy as sa
    import ckan.plugins.toolkit as tk

    engine = sa.create_engine(tk.config["sqlalchemy.url"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "select coalesce(d.datname, '*'), s.setconfig from pg_db_role_setting s "
                "left join pg_database d on d.oid = s.setdatabase")).all()
    finally:
        engine.dispose()
    for database, settings in rows:
        if any(item.replace(" ", "") == "synchronous_commit=off" for item in settings):
            assert database.startswith(("datasud_test", "datasud_bench")), database


def test_redis_runs_with_its_append_only_file():
    import redis
    import ckan.plugins.toolkit as tk

    client = redis.Redis.from_url(tk.config["ckan.redis.url"], socket_timeout=10)
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    assert client.config_get("appendfsync") == {"appendfsync": "everysec"}


def test_bin_datasud_starts_the_services_durable():
    """What a new start gets (the tests above see the running services)."""
    script = DATASUD.read_text()
    [options] = re.findall(r'pg_ctl" -D "\$PG_DATA" -l "\$PG_LOG" -w -t 60 \\\n\s+-o "([^"]*)"', script)
    assert "fsync" not in options and "synchronous_commit" not in options and "full_page_writes" not in options
    assert re.search(r"^appendonly yes$", script, re.M) and re.search(r"^appendfsync everysec$", script, re.M)


# ---------------------------------------------------------------------------------
# Dependency audit
# ---------------------------------------------------------------------------------

def _audit_module():
    spec = importlib.util.spec_from_file_location("package_audit", ROOT / "bin" / "package_audit.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pip_audit_installed(tmp_path_factory):
    """pip-audit installed in .cache/pip-audit-venv (from PyPI, once), so that the test
    below meets the advisory database that cannot be reached, not the install."""
    tmp = tmp_path_factory.mktemp("audit")
    advisories = tmp / "advisories.json"
    advisories.write_text(json.dumps([{"id": "TEST-OLD", "package": "ckan", "affected": "<2.0"}]))
    result = run_datasud("audit", "--offline", str(advisories), env=datasud_env(tmp / "var"), timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_audit_says_so_when_it_cannot_reach_its_advisory_database(tmp_path, pip_audit_installed):
    closed = f"http://127.0.0.1:{free_port()}"
    env = datasud_env(tmp_path / "var", HTTPS_PROXY=closed, HTTP_PROXY=closed, https_proxy=closed,
                      http_proxy=closed, NO_PROXY="", no_proxy="", PIP_INDEX_URL=f"{closed}/simple")
    result = run_datasud("audit", env=env, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "audit NOT done" in output
    assert "could not reach the advisory database" in output
    assert "no known vulnerabilit" not in output.lower()
    assert "Traceback" not in output


def test_audit_says_so_when_it_cannot_even_install_pip_audit(tmp_path):
    closed = f"http://127.0.0.1:{free_port()}"
    env = datasud_env(tmp_path / "var", DATASUD_CACHE=str(tmp_path / "cache"), PIP_INDEX_URL=f"{closed}/simple",
                      PIP_RETRIES="0", PIP_TIMEOUT="2")
    result = run_datasud("audit", env=env, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "audit NOT done" in output and "could not install pip-audit" in output
    assert "no known vulnerabilit" not in output.lower()


def test_audit_offline_lists_the_advisories_that_match(tmp_path):
    import ckan

    advisories = tmp_path / "advisories.json"
    advisories.write_text(json.dumps([
        {"id": "TEST-CKAN-1", "package": "CKAN", "affected": f"<={ckan.__version__}", "fixed": "99.0",
         "summary": "affects the installed CKAN"},
        {"id": "TEST-CKAN-OLD", "package": "ckan", "affected": "<2.0", "summary": "an old one"},
        {"id": "TEST-FLASK-1", "package": "Flask", "affected": ">=0.1", "summary": "any Flask"},
    ]))
    result = run_datasud("audit", "--offline", str(advisories), env=datasud_env(tmp_path / "var"), timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"VULNERABLE ckan {ckan.__version__}: TEST-CKAN-1 (fixed in 99.0)" in result.stdout
    assert "TEST-FLASK-1" in result.stdout
    assert "TEST-CKAN-OLD" not in result.stdout


def test_audit_offline_with_nothing_known(tmp_path):
    advisories = tmp_path / "advisories.json"
    advisories.write_text(json.dumps({"advisories": [
        {"id": "TEST-OLD", "package": "ckan", "affected": "<2.0"}]}))
    result = run_datasud("audit", "--offline", str(advisories), env=datasud_env(tmp_path / "var"), timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checked against the 1 advisories" in result.stdout and "no known vulnerability" in result.stdout


@pytest.mark.parametrize("content, message", [
    ("[]", "is empty"),
    ("not json", "is not JSON"),
    ('[{"id": "X", "package": "ckan"}]', "needs"),
    ('[{"id": "X", "package": "ckan", "affected": "lower than 3"}]', "not a version specifier"),
])
def test_audit_offline_refuses_an_unusable_advisory_list(tmp_path, content, message):
    advisories = tmp_path / "advisories.json"
    advisories.write_text(content)
    result = run_datasud("audit", "--offline", str(advisories), env=datasud_env(tmp_path / "var"), timeout=600)
    assert result.returncode == 2
    assert "audit NOT done" in result.stderr and message in result.stderr
    assert "no known vulnerabilit" not in (result.stdout + result.stderr).lower()


def test_audit_verdict_when_the_database_knows_none_of_the_packages():
    """pip-audit itself answers 'No known vulnerabilities found' (exit 0) when PyPI
    answered for no package (all skipped): the verdict is 'not audited'."""
    audit = _audit_module()
    report = {"dependencies": [
        {"name": "ckan", "skip_reason": "Dependency not found on PyPI and could not be audited: ckan (2.11.6)"},
        {"name": "flask", "skip_reason": "Dependency not found on PyPI and could not be audited: flask (3.1.3)"},
        {"name": "ckanext-datasud", "skip_reason": "Dependency not found on PyPI"},
    ]}
    verdict = audit.verdict_of_pip_audit(report)
    assert verdict.status == 2
    text = verdict.report("PyPI's advisories")
    assert "audit NOT done" in text and "no known vulnerability" not in text

    partly = audit.verdict_of_pip_audit({"dependencies": [
        {"name": "ckan", "version": "2.11.6", "vulns": []},
        {"name": "flask", "skip_reason": "Dependency not found on PyPI"}]})
    assert partly.status == 2 and "flask" in partly.report("PyPI") and "NOT audited" in partly.report("PyPI")

    clean = audit.verdict_of_pip_audit({"dependencies": [
        {"name": "ckan", "version": "2.11.6", "vulns": []},
        {"name": "ckanext-datasud", "skip_reason": "Dependency not found on PyPI"}]})
    assert clean.status == 0 and "no known vulnerability" in clean.report("PyPI")

    found = audit.verdict_of_pip_audit({"dependencies": [
        {"name": "ckan", "version": "2.10.4", "vulns": [{"id": "CVE-2024-43371", "fix_versions": ["2.10.5"]}]}]})
    assert found.status == 1 and "CVE-2024-43371 (fixed in 2.10.5)" in found.report("PyPI")


# ---------------------------------------------------------------------------------
# 20. The local services ask for passwords
# ---------------------------------------------------------------------------------

def _env_file() -> dict[str, str]:
    path = ROOT / "var" / "datasud.env"
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def test_the_services_passwords_are_generated_into_the_env_file_and_never_committed():
    path = ROOT / "var" / "datasud.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secrets = _env_file()
    for name in ("DATASUD_PG_PASSWORD", "DATASUD_PG_ADMIN_PASSWORD", "DATASUD_REDIS_PASSWORD",
                 "DATASUD_SOLR_PASSWORD"):
        assert re.fullmatch(r"[0-9a-f]{48}", secrets[name]), name
    assert len({secrets[name] for name in secrets if name.endswith("_PASSWORD")}) == len(
        [name for name in secrets if name.endswith("_PASSWORD")])  # all different
    ignored = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT)
    assert ignored.returncode == 0, "var/datasud.env must be ignored by git"
    tracked = subprocess.run(["git", "grep", "-l", secrets["DATASUD_PG_PASSWORD"]], cwd=ROOT,
                             capture_output=True, text=True)
    assert tracked.stdout == ""


@pytest.mark.parametrize("user", ["postgres", "datasud"])
def test_postgresql_asks_every_role_for_its_password(user):
    import psycopg2
    import ckan.plugins.toolkit as tk
    from sqlalchemy.engine import make_url

    url = make_url(tk.config["sqlalchemy.url"])
    for password in (None, "", "wrong-password", url.password + " "):
        with pytest.raises(psycopg2.OperationalError, match="password"):
            psycopg2.connect(host=url.host, port=url.port, user=user, password=password, dbname="postgres",
                             connect_timeout=10)
    right = _env_file()["DATASUD_PG_ADMIN_PASSWORD" if user == "postgres" else "DATASUD_PG_PASSWORD"]
    psycopg2.connect(host=url.host, port=url.port, user=user, password=right, dbname="postgres",
                     connect_timeout=10).close()


def test_redis_asks_for_its_password():
    import redis
    import ckan.plugins.toolkit as tk

    url = tk.config["ckan.redis.url"]
    anonymous = redis.Redis(host="127.0.0.1", port=int(os.environ.get("CKAN_REDIS_PORT", "6379")), db=1,
                            socket_timeout=10)
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    with pytest.raises(redis.AuthenticationError):
        anonymous.flushall()
    wrong = redis.Redis(host="127.0.0.1", port=int(os.environ.get("CKAN_REDIS_PORT", "6379")), password="wrong",
                        socket_timeout=10)
    with pytest.raises(redis.AuthenticationError):
        wrong.ping()
    assert redis.Redis.from_url(url, socket_timeout=10).ping()  # what CKAN, Celery and the harvest queues use


def test_solr_refuses_requests_without_its_password():
    import ckan.plugins.toolkit as tk
    from ckan.lib.search import check_solr_schema_version

    core = tk.config["solr_url"].rstrip("/")
    base = core.rsplit("/", 1)[0]
    # the admin API, and a write (harmless even if it were accepted: a site id nobody uses)
    assert requests.get(f"{base}/admin/cores", params={"action": "STATUS"}, timeout=30).status_code == 401
    delete = requests.post(f"{core}/update", params={"commit": "true"}, timeout=30,
                           json={"delete": {"query": "site_id:datasud_no_such_site"}})
    assert delete.status_code == 401
    wrong = requests.get(f"{core}/admin/ping", auth=("datasud", "wrong"), timeout=30)
    assert wrong.status_code == 401
    right = requests.get(f"{core}/admin/ping", params={"wt": "json"}, timeout=30,
                         auth=(tk.config["solr_user"], tk.config["solr_password"]))
    assert right.status_code == 200 and right.json()["status"] == "OK"
    assert check_solr_schema_version() is True  # CKAN itself gets in (solr_user / solr_password)


def test_bin_datasud_status_reaches_every_service_without_printing_passwords(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CKAN_", "DATASUD_"))}
    env.update({"CKAN_INI": str(ROOT / "config" / "test.ini"),
                "DATASUD_PG_PORT": os.environ.get("CKAN_PG_PORT", "5432"),
                "DATASUD_REDIS_PORT": os.environ.get("CKAN_REDIS_PORT", "6379"),
                "DATASUD_SOLR_PORT": os.environ.get("CKAN_SOLR_PORT", "8983"),
                "DATASUD_TEST_DB": os.environ.get("CKAN_TEST_DB", "datasud_test")})
    result = run_datasud("status", env=env)
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines() if line.strip())
    for service in ("PostgreSQL", "Solr", "Redis"):
        assert lines[service].startswith("ok"), lines[service]
    for name, value in _env_file().items():
        if name.endswith("_PASSWORD"):
            assert value not in result.stdout + result.stderr, name
