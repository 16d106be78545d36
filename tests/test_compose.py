"""The production deployment: docker-compose.yml, Dockerfile, docker/entrypoint.sh,
config/production.ini and .dockerignore.

No Docker engine is needed: the Compose file is checked against the Compose
Specification (the pydantic models of `compose_spec`, then its strict parser once
the variables are interpolated as `docker compose` would), the entrypoint is run
with a plain shell, and the ini is loaded the way CKAN loads it.
"""
import ast
import configparser
import copy
import http.server
import json
import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from compose_spec import PyCompose, PyOptions
from compose_spec.models import ComposeSpecification  # the model `compose_spec` exports

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
PRODUCTION_INI = ROOT / "config" / "production.ini"
DEVELOPMENT_INI = ROOT / "config" / "development.ini"
DOCKERIGNORE = ROOT / ".dockerignore"

APP_DIR = "/srv/datasud"  # where the Dockerfile puts the repository
CKAN_INI = f"{APP_DIR}/config/production.ini"

CKAN_SERVICES = {"init", "web", "worker", "beat", "harvest-gather", "harvest-fetch", "csw"}
BACKING_SERVICES = {"db", "redis", "solr"}
EXPECTED_SERVICES = CKAN_SERVICES | BACKING_SERVICES
LONG_RUNNING_CKAN_SERVICES = CKAN_SERVICES - {"init"}

# Deployment secrets and settings without which the portal must not start.
REQUIRED_VARIABLES = {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "CKAN_SECRET_KEY", "CKAN_SITE_URL"}
TEST_ENVIRONMENT = {
    "POSTGRES_PASSWORD": "pg-secret",
    "REDIS_PASSWORD": "redis-secret",
    "CKAN_SECRET_KEY": "ckan-secret",
    "CKAN_SITE_URL": "https://datasud.example.org",
}

# The processes of the portal, as decided for the deployment.
EXPECTED_COMMANDS = {
    "web": ["gunicorn", "--chdir", f"{APP_DIR}/config", "--bind", "0.0.0.0:5000",
            "--workers", "${CKAN_WEB_WORKERS:-4}", "--timeout", "120", "wsgi:application"],
    "worker": ["celery", "--app", "ckanext.datasud.celery_app", "worker", "--loglevel", "INFO"],
    "beat": ["celery", "--app", "ckanext.datasud.celery_app", "beat", "--loglevel", "INFO",
             "--schedule", "/var/lib/ckan/celerybeat-schedule"],
    "harvest-gather": ["ckan", "-c", CKAN_INI, "datasud", "harvest-consumer", "gather"],
    "harvest-fetch": ["ckan", "-c", CKAN_INI, "datasud", "harvest-consumer", "fetch"],
    "init": ["init"],
    "csw": ["csw"],
}


# --------------------------------------------------------------------------
# Compose variable interpolation, as `docker compose` does it

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")


class MissingVariable(Exception):
    pass


def interpolate(value, environment):
    """`value` (a YAML tree) with ${VAR}, ${VAR:-default}, ${VAR:?error}... expanded."""
    if isinstance(value, dict):
        return {key: interpolate(item, environment) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, environment) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match):
        if match.group("escaped"):
            return "$"
        name = match.group("braced") or match.group("named")
        op, arg = match.group("op"), match.group("arg")
        current = environment.get(name)
        if op is None:
            return current or ""
        missing = current is None or (op.startswith(":") and current == "")
        if op.endswith("-"):
            return arg if missing else current
        if op.endswith("?"):
            if missing:
                raise MissingVariable(f"{name}: {arg}")
            return current
        return "" if missing else arg  # "+"

    return _VARIABLE.sub(substitute, value)


def variable_references(text):
    """(name, operator, argument) of every ${...} in `text` ($$ escapes skipped)."""
    return [(m.group("braced"), m.group("op"), m.group("arg"))
            for m in _VARIABLE.finditer(text) if m.group("braced")]


# --------------------------------------------------------------------------
# Fixtures

@pytest.fixture(autouse=True)
def load_standard_plugins():
    """Overrides conftest.py's: these tests read files and run scripts, they need
    neither CKAN's plugins nor its database."""
    yield


@pytest.fixture(scope="module")
def compose_text():
    return COMPOSE_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compose_raw(compose_text):
    return yaml.safe_load(compose_text)  # YAML anchors and `<<` merges resolved


@pytest.fixture(scope="module")
def compose(compose_raw):
    return ComposeSpecification.model_validate(compose_raw)


@pytest.fixture(scope="module")
def compose_interpolated(compose_raw):
    return interpolate(compose_raw, TEST_ENVIRONMENT)


@pytest.fixture(scope="module")
def services(compose_raw):
    return compose_raw["services"]


@pytest.fixture(scope="module")
def dockerfile_instructions():
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def ckan_environment(compose_interpolated):
    return compose_interpolated["x-ckan-environment"]


# --------------------------------------------------------------------------
# docker-compose.yml

def test_compose_file_follows_the_compose_specification(compose):
    assert set(compose.services) == EXPECTED_SERVICES


def test_compose_file_passes_the_strict_parser_once_interpolated(compose_interpolated):
    # The strict parser rejects unknown keys, bad durations, bad port syntax,
    # unknown depends_on conditions... but knows nothing of ${VAR}: feed it the
    # file as `docker compose config` would see it.
    strict = PyOptions(apply_merge=True).from_yaml(yaml.safe_dump(compose_interpolated, sort_keys=False))
    strict.validate()
    assert set(strict.service_names()) == EXPECTED_SERVICES
    assert strict == PyCompose.from_json(json.dumps(compose_interpolated))
    # and it is strict indeed: a misspelt key is refused
    misspelt = copy.deepcopy(compose_interpolated)
    misspelt["services"]["web"]["helthcheck"] = misspelt["services"]["web"].pop("healthcheck")
    with pytest.raises(ValueError, match="helthcheck"):
        PyCompose.from_json(json.dumps(misspelt))


def test_required_variables_cannot_be_left_out(compose_raw):
    for name in REQUIRED_VARIABLES:
        environment = {key: value for key, value in TEST_ENVIRONMENT.items() if key != name}
        with pytest.raises(MissingVariable, match=name):
            interpolate(compose_raw, environment)


def test_required_variables_always_use_the_required_form(compose_text):
    references = variable_references(compose_text)
    names = {name for name, _, _ in references}
    assert REQUIRED_VARIABLES <= names
    for name, op, arg in references:
        if name in REQUIRED_VARIABLES:
            assert op == ":?" and arg.strip(), f"${{{name}}} must be written ${{{name}:?message}}"


def test_secrets_have_no_default_value(compose_text):
    secret_like = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$")
    for name, op, arg in variable_references(compose_text):
        if secret_like.search(name):
            # either required, or optional and empty (e.g. CKAN_SMTP_PASSWORD)
            assert op == ":?" or (op in (":-", "-") and arg == ""), \
                f"{name} must not get a default value in docker-compose.yml"


def test_every_service_has_a_health_check(compose):
    for name, service in compose.services.items():
        check = service.healthcheck
        assert check is not None, f"{name} has no healthcheck"
        assert not check.disable, f"{name}'s healthcheck is disabled"
        test = check.test if isinstance(check.test, list) else ["CMD-SHELL", check.test]
        assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1 and all(test), \
            f"{name}'s healthcheck tests nothing: {test}"


def test_health_checks_probe_each_service(services):
    def check(name):
        return " ".join(services[name]["healthcheck"]["test"])

    assert "pg_isready" in check("db")
    assert "redis-cli ping" in check("redis")
    assert "/solr/ckan/admin/ping" in check("solr")
    assert "/api/3/action/status_show" in check("web")
    assert "inspect ping" in check("worker") and "celery@$${HOSTNAME}" in check("worker")
    assert "celerybeat-schedule" in check("beat")
    assert "gather-consumer" in check("harvest-gather")
    assert "fetch-consumer" in check("harvest-fetch")
    assert "services-ready" in check("init")
    assert "127.0.0.1:8000/csw" in check("csw") and "GetCapabilities" in check("csw")


def test_python_health_checks_compile(services):
    for name, service in services.items():
        test = service["healthcheck"]["test"]
        if test[:3] == ["CMD", "python", "-c"]:
            compile(test[3], f"<healthcheck of {name}>", "exec")


def test_health_check_tools_are_in_the_image(services):
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    for name in CKAN_SERVICES:
        program = services[name]["healthcheck"]["test"][1].split()[0]
        if program == "pgrep":
            assert re.search(r"\bprocps\b", dockerfile), "pgrep needs procps in the image"
        elif program == f"{APP_DIR}/docker/entrypoint.sh":
            assert (ROOT / "docker" / "entrypoint.sh").exists()
        else:
            assert program in ("python", "celery"), f"{name}: unexpected health check {program}"


def test_images_of_the_backing_services(services):
    assert services["db"]["image"] == "postgis/postgis:15-3.4"
    assert services["redis"]["image"] == "redis:7-alpine"
    assert services["solr"]["image"] == "solr:9.8"


def test_processes_run_the_decided_commands(services):
    for name, command in EXPECTED_COMMANDS.items():
        assert services[name]["command"] == command


def test_ckan_services_share_the_image_and_configuration(services):
    for name in CKAN_SERVICES:
        service = services[name]
        assert service["build"] == "."
        assert service["environment"]["CKAN_INI"] == CKAN_INI
        assert "ckan_storage:/var/lib/ckan" in service["volumes"]
    assert len({services[name]["image"] for name in CKAN_SERVICES}) == 1


def test_ckan_processes_start_after_a_successful_init(services):
    assert services["init"].get("restart") == "no"
    for name in BACKING_SERVICES:
        assert services["init"]["depends_on"][name]["condition"] == "service_healthy"
    for name in LONG_RUNNING_CKAN_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["init"]["condition"] == "service_completed_successfully", name
        assert services[name]["restart"] == "unless-stopped"


def test_depends_on_refers_to_existing_services_with_health_checks(services):
    for name, service in services.items():
        for target, how in (service.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[target]


def test_named_volumes_are_declared_and_used(compose_raw, services):
    declared = set(compose_raw.get("volumes") or {})
    used = set()
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source")
            if source and not source.startswith((".", "/", "~")):
                assert source in declared, f"{name} uses undeclared volume {source}"
                used.add(source)
    assert used == declared == {"pg_data", "solr_data", "redis_data", "ckan_storage"}


def test_bind_mounts_exist_in_the_repository(services):
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_solr_creates_the_ckan_core_from_the_repository_config_set(services):
    solr = services["solr"]
    configset = "/opt/solr/server/solr/configsets/ckan"
    # the core's conf/ refreshed from the config set at every start, then created if new
    assert solr["command"][:2] == ["bash", "-c"]
    assert solr["command"][2].endswith(f"exec solr-precreate ckan {configset}")
    assert f"cp -r {configset}/conf/. /var/solr/data/ckan/conf/" in solr["command"][2]
    assert f"./solr/configsets/ckan:{configset}:ro" in solr["volumes"]
    assert (ROOT / "solr" / "configsets" / "ckan" / "conf" / "schema.xml").is_file()
    assert (ROOT / "solr" / "configsets" / "ckan" / "conf" / "solrconfig.xml").is_file()


def test_only_the_web_app_is_published(compose_interpolated):
    """PostgreSQL, Redis and Solr (whose admin API has no password) are reachable from
    the CKAN containers only, not from the host (issue 10, item 20)."""
    published = {}
    for name, service in compose_interpolated["services"].items():
        for port in service.get("ports", []) + service.get("expose", []):
            published.setdefault(name, []).append(port)
        assert service.get("network_mode") != "host", name
    assert published == {"web": ["5000:5000"]}


def test_ckan_environment_points_at_the_compose_services(compose_interpolated):
    environment = ckan_environment(compose_interpolated)
    assert environment["CKAN_SQLALCHEMY_URL"] == "postgresql://datasud:pg-secret@db:5432/datasud"
    assert environment["CKAN_SOLR_URL"] == "http://solr:8983/solr/ckan"
    assert environment["CKAN_REDIS_URL"] == "redis://:redis-secret@redis:6379/0"
    assert environment["CKAN_CELERY_BROKER_URL"] == "redis://:redis-secret@redis:6379/2"
    assert environment["CKAN_STORAGE_PATH"] == "/var/lib/ckan"
    services = compose_interpolated["services"]
    assert services["redis"]["environment"]["REDISCLI_AUTH"] == "redis-secret"
    assert "redis-secret" in services["redis"]["command"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == "pg-secret"


def test_the_wsgi_entry_point_of_the_web_command_exists(services):
    module, _, attribute = services["web"]["command"][-1].partition(":")
    source = (ROOT / "config" / f"{module}.py").read_text(encoding="utf-8")
    assigned = {target.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)}
    assert attribute in assigned


def test_the_celery_app_of_the_commands_exists(services):
    module = services["worker"]["command"][2]
    assert module == services["beat"]["command"][2]
    relative = Path("ckanext-datasud", *module.split("."))
    assert (ROOT / relative.with_suffix(".py")).is_file() or (ROOT / relative / "__init__.py").is_file()


# --------------------------------------------------------------------------
# Dockerfile and .dockerignore

def _instructions(instructions, keyword):
    return [arguments for name, arguments in instructions if name == keyword]


def test_dockerfile_base_image_and_user(dockerfile_instructions):
    args = " ".join(_instructions(dockerfile_instructions, "ARG"))
    assert "PYTHON_IMAGE=python:3.11-slim-bookworm" in args
    assert all(image.startswith("${PYTHON_IMAGE}")
               for image in _instructions(dockerfile_instructions, "FROM"))
    users = _instructions(dockerfile_instructions, "USER")
    assert users and users[-1] == "ckan"
    assert "5000" in _instructions(dockerfile_instructions, "EXPOSE")[-1].split()


def test_dockerfile_entrypoint_is_the_executable_script(dockerfile_instructions):
    entrypoint = json.loads(_instructions(dockerfile_instructions, "ENTRYPOINT")[-1])
    assert entrypoint == [f"{APP_DIR}/docker/entrypoint.sh"]
    script = ROOT / Path(entrypoint[0]).relative_to(APP_DIR)
    assert script == ENTRYPOINT and script.is_file()
    assert script.stat().st_mode & stat.S_IXUSR, "docker/entrypoint.sh must be executable"
    assert script.read_text(encoding="utf-8").startswith("#!/bin/sh\n")
    assert json.loads(_instructions(dockerfile_instructions, "CMD")[-1]) == ["web"]


def test_dockerfile_installs_requirements_then_the_extension(dockerfile_instructions):
    runs = _instructions(dockerfile_instructions, "RUN")
    text = "\n".join(runs)
    requirements = text.index("pip install -r requirements.txt")
    editable = text.index("pip install -e .")
    namespace_fix = text.index("ckanext/__init__.py")
    assert requirements < editable < namespace_fix
    assert '[ ! -s "$ckanext_init" ]' in text, "only an empty ckanext/__init__.py may go"
    catalogue = next(run for run in runs if "compile_catalog" in run)
    assert "-name '*.po'" in catalogue and "|| true" not in catalogue


def test_dockerfile_runtime_libraries(dockerfile_instructions):
    runtime = " ".join(_instructions(dockerfile_instructions, "RUN"))
    for package in ("libpq5", "libgeos-c1v5", "libproj25", "libxml2", "libxslt1.1",
                    "libmagic1", "curl", "procps"):
        assert re.search(rf"(?<![\w.-]){re.escape(package)}(?![\w.-])", runtime), package


def _dockerignore_patterns():
    patterns = []
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            assert not line.startswith("!"), "exceptions are not handled by this test"
            patterns.append(line.strip("/"))
    return patterns


def _dockerignored(path, patterns):
    """Whether .dockerignore keeps `path` (relative to the repository) out of the context."""
    def regex(pattern):
        out = ""
        for part in re.split(r"(\*\*/?|\*|\?)", pattern):
            out += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
        return re.compile(out + r"\Z")

    parts = Path(path).parts
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(regex(pattern).match(prefix) for pattern in patterns for prefix in prefixes)


def test_dockerignore_keeps_secrets_and_local_state_out():
    patterns = _dockerignore_patterns()
    for path in (".env", ".env.production", "var/datasud.env", ".git/config", ".venv/bin/python",
                 ".cache/solr/lib/x.jar", "ckanext-datasud/ckanext/datasud/__pycache__/x.pyc",
                 "ckanext-datasud/ckanext/datasud/i18n/fr/LC_MESSAGES/ckanext-datasud.mo"):
        assert _dockerignored(path, patterns), f"{path} would be sent to the Docker build"


def test_dockerignore_keeps_what_the_image_needs(dockerfile_instructions):
    patterns = _dockerignore_patterns()
    needed = ["requirements.txt", "setup.py", "setup.cfg", "pyproject.toml", "config/production.ini",
              "config/wsgi.py", "docker/entrypoint.sh", "ckanext-datasud/ckanext/datasud/plugin.py",
              "ckanext-datasud/ckanext/datasud/i18n/fr/LC_MESSAGES/ckanext-datasud.po",
              # `ckan db upgrade -p datasud` reaches them through a symbolic link
              "migrations/env.py", "migrations/versions/0001_baseline.py"]
    # files production.ini names beside itself (e.g. licenses.json)
    for name in re.findall(r"%\(here\)s/([\w./-]+)", PRODUCTION_INI.read_text(encoding="utf-8")):
        assert (PRODUCTION_INI.parent / name).is_file(), f"production.ini needs config/{name}"
        needed.append(f"config/{name}")
    for arguments in _instructions(dockerfile_instructions, "COPY"):
        if not arguments.startswith("--from"):
            needed.extend(shlex.split(arguments)[:-1])
    for path in needed:
        if path in (".", "./"):
            continue
        assert not _dockerignored(path, patterns), f".dockerignore leaves {path} out of the image"
    for path in ("requirements.txt", "setup.py", "pyproject.toml", "config/wsgi.py"):
        assert (ROOT / path).is_file(), f"the Dockerfile needs {path}"


# --------------------------------------------------------------------------
# docker/entrypoint.sh

def _run_entrypoint(*args, env=None, timeout=30):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CKAN_")}
    # `python` of the entrypoint: this interpreter (it has psycopg2 and redis)
    environment["PATH"] = os.path.dirname(sys.executable) + os.pathsep + environment.get("PATH", "")
    environment.update(env or {})
    return subprocess.run([str(ENTRYPOINT), *args], env=environment, capture_output=True,
                          text=True, timeout=timeout)


def test_entrypoint_is_valid_posix_shell():
    shells = ["sh"] + [shell for shell in ("dash", "bash") if shutil.which(shell)]
    for shell in shells:
        result = subprocess.run([shell, "-n", str(ENTRYPOINT)], capture_output=True, text=True)
        assert result.returncode == 0, f"{shell} -n: {result.stderr}"
    text = ENTRYPOINT.read_text(encoding="utf-8")
    assert re.search(r"^set -eu$", text, re.M)


def test_entrypoint_knows_the_subcommands():
    text = ENTRYPOINT.read_text(encoding="utf-8")
    for subcommand in ("init", "web", "worker", "beat", "gather", "fetch", "csw", "services-ready"):
        assert re.search(rf"^\s+{re.escape(subcommand)}\)$", text, re.M), subcommand
    assert 'ckan -c "$CKAN_INI" db init' in text
    assert 'ckan -c "$CKAN_INI" db upgrade -p datasud' in text


def test_entrypoint_runs_any_other_command():
    result = _run_entrypoint("echo", "hello", "DataSud")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello DataSud\n"


def test_entrypoint_refuses_a_percent_sign_in_ckan_variables():
    result = _run_entrypoint("echo", "started", env={"CKAN_SMTP_PASSWORD": "50%off", "CKAN_SITE_TITLE": "ok"})
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "CKAN_SMTP_PASSWORD" in result.stderr and "CKAN_SITE_TITLE" not in result.stderr


def test_entrypoint_needs_the_ckan_configuration():
    result = _run_entrypoint("worker", env={"CKAN_INI": "/nonexistent/production.ini"})
    assert result.returncode != 0
    assert "/nonexistent/production.ini" in result.stderr


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_services_ready_fails_fast_when_nothing_answers():
    port = _closed_port()
    result = _run_entrypoint("services-ready", env={
        "CKAN_SQLALCHEMY_URL": f"postgresql://datasud:secret@127.0.0.1:{port}/datasud",
        "CKAN_SOLR_URL": f"http://127.0.0.1:{port}/solr/ckan",
        "CKAN_REDIS_URL": f"redis://:secret@127.0.0.1:{port}/0",
    })
    assert result.returncode == 1
    for service in ("postgres", "solr", "redis"):
        assert f"{service} not ready" in result.stderr
    assert "secret" not in result.stderr


def _wait_for_script():
    text = ENTRYPOINT.read_text(encoding="utf-8")
    match = re.search(r"<<'PY'\n(.*?)\nPY\n", text, re.S)
    assert match, "the wait-for Python script is gone"
    return match.group(1)


class _FakeSolr(http.server.BaseHTTPRequestHandler):
    status = "OK"

    def do_GET(self):
        if self.path.startswith("/solr/ckan/admin/ping"):
            body = json.dumps({"status": self.status}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("status, ready", [("OK", True), ("FAIL", False)])
def test_wait_for_checks_the_solr_core_answers(status, ready):
    handler = type("Handler", (_FakeSolr,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        environment = dict(os.environ, CKAN_SOLR_URL=f"http://127.0.0.1:{server.server_port}/solr/ckan/")
        result = subprocess.run([sys.executable, "-", "0", "solr"], input=_wait_for_script(),
                                env=environment, capture_output=True, text=True, timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    if ready:
        assert result.returncode == 0, result.stderr
        assert "solr is ready" in result.stdout
    else:
        assert result.returncode == 1
        assert "solr not ready" in result.stderr and "FAIL" in result.stderr


def test_wait_for_reports_missing_configuration_at_once():
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CKAN_")}
    result = subprocess.run([sys.executable, "-", "60", "postgres"], input=_wait_for_script(),
                            env=environment, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "CKAN_SQLALCHEMY_URL is not set" in result.stderr


# --------------------------------------------------------------------------
# config/production.ini

def _raw_ini(path):
    parser = configparser.RawConfigParser(strict=True)
    parser.optionxform = str  # CKAN keeps the case of option names
    assert parser.read(path, encoding="utf-8") == [str(path)]
    return parser


def test_production_ini_parses_and_is_for_production():
    ini = _raw_ini(PRODUCTION_INI)
    app = ini["app:main"]
    assert ini["DEFAULT"]["debug"] == "false"
    assert app["use"] == "egg:ckan"
    assert app["ckan.storage_path"] == "/var/lib/ckan"
    assert int(app["ckan.cache_expires"]) > 0
    assert ini["logger_root"]["level"] in ("WARNING", "ERROR")
    for section in ini.sections():
        if section.startswith("logger_"):
            assert ini[section]["level"] in ("INFO", "WARNING", "ERROR"), section


def test_production_ini_holds_no_secret():
    app = _raw_ini(PRODUCTION_INI)["app:main"]
    for key in ("SECRET_KEY", "WTF_CSRF_SECRET_KEY", "api_token.jwt.encode.secret",
                "api_token.jwt.decode.secret"):
        assert re.fullmatch(r"(string:)?%\(CKAN_[A-Z0-9_]+\)s", app[key]), f"{key} = {app[key]}"
    for key, value in app.items():
        if re.search(r"secret|password|_key$", key, re.I):
            assert "%(CKAN_" in value, f"{key} has a literal value"
        assert not re.search(r"://[^/\s]*:[^/@\s]+@", value), f"{key} holds credentials"
    for key in ("sqlalchemy.url", "solr_url", "ckan.redis.url", "ckan.site_url",
                "ckanext.datasud.celery.broker_url"):
        assert app[key].startswith("%(CKAN_"), f"{key} must come from the environment"


def test_production_ini_has_the_plugins_and_options_of_development(compose_interpolated):
    from ckan.config.environment import CONFIG_FROM_ENV_VARS

    development = _raw_ini(DEVELOPMENT_INI)["app:main"]
    production = _raw_ini(PRODUCTION_INI)["app:main"]
    assert production["ckan.plugins"].split() == development["ckan.plugins"].split()
    # an option may be left to the environment variable CKAN reads for it, if
    # docker-compose.yml sets that variable
    environment = ckan_environment(compose_interpolated)
    missing = {key for key in set(development) - set(production)
               if CONFIG_FROM_ENV_VARS.get(key) not in environment}
    assert not missing, f"options of development.ini missing in production.ini: {missing}"


def test_compose_provides_every_variable_production_ini_uses(compose_interpolated):
    text = PRODUCTION_INI.read_text(encoding="utf-8")
    used = set(re.findall(r"%\((CKAN_[A-Z0-9_]+)\)s", text))
    provided = set(ckan_environment(compose_interpolated))
    assert used and used <= provided, f"not set by docker-compose.yml: {used - provided}"


def test_ckan_loads_production_ini_with_the_compose_environment(compose_interpolated, monkeypatch):
    from ckan.cli import CKANConfigLoader

    for key in [key for key in os.environ if key.startswith("CKAN_")]:
        monkeypatch.delenv(key)
    environment = ckan_environment(compose_interpolated)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    config = CKANConfigLoader(str(PRODUCTION_INI)).get_config()
    assert config["SECRET_KEY"] == "ckan-secret"
    assert config["api_token.jwt.encode.secret"] == "string:ckan-secret"
    assert config["sqlalchemy.url"] == environment["CKAN_SQLALCHEMY_URL"]
    assert config["solr_url"] == "http://solr:8983/solr/ckan"
    assert config["ckan.redis.url"] == environment["CKAN_REDIS_URL"]
    assert config["ckanext.datasud.celery.broker_url"] == environment["CKAN_CELERY_BROKER_URL"]
    assert config["ckan.site_url"] == "https://datasud.example.org"
    assert config["ckan.site_title"] == "DataSud"
    assert config["SESSION_COOKIE_SECURE"] == "true"
