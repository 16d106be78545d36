"""Bad set-up is reported in one line that says what failed and how to fix it."""
from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATASUD = ROOT / "bin" / "datasud"


def run_datasud(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("CKAN_", "DATASUD_"))}
    full_env.update(env)
    return subprocess.run([str(DATASUD), *args], env=full_env, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if "error:" in line]


@pytest.fixture(autouse=True)
def no_leftover_cluster(tmp_path):
    """pytest's temporary folders are private to root, so bin/datasud puts the PostgreSQL
    cluster of `tmp_path/var` in its fallback folder: remove it after the test."""
    yield
    import hashlib
    import shutil
    var = str(tmp_path / "var")
    shutil.rmtree(Path("/var/lib/postgresql/datasud") / hashlib.sha256(var.encode()).hexdigest()[:12],
                  ignore_errors=True)


@pytest.fixture
def taken_port():
    """A port on 127.0.0.1 held by another program (this test process)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


def test_port_already_taken_is_one_clear_line(tmp_path, taken_port):
    result = run_datasud("up", env={"DATASUD_VAR": str(tmp_path / "var"), "DATASUD_PG_PORT": str(taken_port)})
    assert result.returncode == 1
    [line] = error_lines(result)
    assert f"port {taken_port} on 127.0.0.1 is already taken" in line
    assert "DATASUD_PG_PORT=" in line  # how to fix it
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "var" / "postgres").exists()  # nothing started or created


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_solr_port_taken_after_other_services_started(tmp_path, taken_port):
    """PostgreSQL and Redis start, Solr's port is taken: one line, and `down` cleans up."""
    env = {"DATASUD_VAR": str(tmp_path / "var"), "DATASUD_PG_PORT": str(free_port()),
           "DATASUD_REDIS_PORT": str(free_port()), "DATASUD_SOLR_PORT": str(taken_port)}
    try:
        result = run_datasud("up", env=env)
        assert result.returncode == 1
        [line] = error_lines(result)
        assert f"port {taken_port} on 127.0.0.1 is already taken" in line
        assert "start Solr on another port with DATASUD_SOLR_PORT=" in line
        assert "Traceback" not in result.stderr + result.stdout
    finally:
        down = run_datasud("down", env=env)
    assert down.returncode == 0
    assert "stopped redis" in down.stdout and "stopped PostgreSQL" in down.stdout
    assert not list((tmp_path / "var" / "run").glob("*.pid"))



def test_unreachable_maven_central_is_one_clear_line(tmp_path):
    result = run_datasud("install", env={
        "DATASUD_CACHE": str(tmp_path / "cache"),
        # Offline, with an empty local repository: exactly what an unreachable Central looks like.
        "DATASUD_MAVEN_ARGS": f"--offline -Dmaven.repo.local={tmp_path / 'm2'}",
        "DATASUD_VAR": str(tmp_path / "var"),
    })
    assert result.returncode == 1
    [line] = error_lines(result)
    assert "could not fetch Solr's jars: is Maven Central reachable?" in line
    assert "maven.log" in line
    assert (tmp_path / "var" / "log" / "maven.log").stat().st_size > 0


def test_missing_service_is_reported_by_the_check(tmp_path):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there any more
    result = run_datasud("status",
                         env={**{k: v for k, v in os.environ.items() if k.startswith("DATASUD_") and k.endswith("_PORT")},
                              "DATASUD_SOLR_PORT": str(port), "CKAN_INI": str(ROOT / "config" / "test.ini"),
                              # this run's test database (CKAN connects to it when it loads)
                              "DATASUD_TEST_DB": os.environ.get("CKAN_TEST_DB", "datasud_test")})
    assert result.returncode == 1
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines() if line.strip())
    assert lines["solr"].startswith("running")  # the suite's Solr runs, just not on that port
    assert lines["PostgreSQL"].startswith("ok")
    assert lines["Redis"].startswith("ok")
    assert lines["Solr"].startswith("FAILED")
    assert f"127.0.0.1:{port}" in lines["Solr"] and "no answer" in lines["Solr"]
    assert "bin/datasud up" in lines["Solr"]  # how to fix it
    assert "Traceback" not in result.stdout + result.stderr
