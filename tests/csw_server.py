"""A real CSW 2.0.2 server for the harvest tests: pycsw, in its own virtualenv
(``.cache/pycsw-venv``, installed by ``bin/datasud test``), on 127.0.0.1 with a SQLite
repository loaded from ISO 19139 files.

This file has two sides:

- run by pycsw's Python (``python tests/csw_server.py serve|load ...``), it is the server
  (a WSGI server around ``pycsw.wsgi.application``) or loads a repository; it imports
  nothing from CKAN;
- imported by the tests, :class:`PycswServer` starts that server and reloads its
  repository between two harvests (a new SQLite file each time, the configuration
  pointing at it: pycsw reads its configuration at each request).
"""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYCSW_PYTHON = os.path.join(os.environ.get("DATASUD_CACHE", os.path.join(ROOT, ".cache")),
                            "pycsw-venv", "bin", "python")

CONFIG_TEMPLATE = """\
[server]
home={home}
url={url}
mimetype=application/xml; charset=UTF-8
encoding=UTF-8
language=fr-FR
# two records a page at most, whatever the client asks: every harvest of the tests pages
maxrecords=2
loglevel=WARNING
logfile={logfile}
pretty_print=false
# no gzip_compresslevel: pycsw 2.6.2 would gzip its answers but keep their uncompressed
# Content-Length (clients then read a truncated document)
domainquerytype=list
domaincounts=false
profiles=apiso

[manager]
transactions=false
allowed_ips=127.0.0.1

[metadata:main]
identification_title=Catalogue de test DataSud (pycsw)
identification_abstract=Fiches INSPIRE de partenaires fictifs de la Région Sud
identification_keywords=INSPIRE,PACA
identification_keywords_type=theme
identification_fees=None
identification_accessconstraints=None
provider_name=DataSud
provider_url=https://www.datasud.fr
contact_name=DataSud
contact_position=Administrateur
contact_address=Hôtel de Région
contact_city=Marseille
contact_stateorprovince=Provence-Alpes-Côte d'Azur
contact_postalcode=13002
contact_country=France
contact_phone=+33-4-00-00-00-00
contact_fax=+33-4-00-00-00-00
contact_email=datasud@example.org
contact_url=https://www.datasud.fr
contact_hours=9h-17h
contact_instructions=Courriel
contact_role=pointOfContact

[repository]
database=sqlite:///{database}
table=records

[metadata:inspire]
enabled=false
languages_supported=fre
default_language=fre
date=2024-01-01
gemet_keywords=Utility and governmental services
conformity_service=notEvaluated
contact_name=DataSud
contact_email=datasud@example.org
temp_extent=2024-01-01/2024-12-31
"""


# --- The tests' side -------------------------------------------------------------------

class PycswServer:
    """pycsw on 127.0.0.1:<free port>, serving the records given to :meth:`load` (a
    mapping of file names to ISO 19139 XML); :meth:`load` again between two harvests to
    modify, remove or add records. A context manager: the server stops at its end."""

    def __init__(self):
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="datasud-pycsw-")
        self.config = os.path.join(self.dir, "pycsw.cfg")
        self.log = os.path.join(self.dir, "pycsw.log")
        self.process = None
        self.port = None
        self._loads = 0
        self._cache: dict[str, str] = {}  # digest of a set of records → its loaded database

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/csw"

    def __enter__(self) -> "PycswServer":
        import select
        import subprocess
        if not os.access(PYCSW_PYTHON, os.X_OK):
            raise RuntimeError(f"pycsw is not installed ({PYCSW_PYTHON}): run the tests with bin/datasud test, "
                               "which installs it")
        self.load({})
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([PYCSW_PYTHON, "-W", "ignore", os.path.abspath(__file__), "serve",
                                             self.config], stdout=subprocess.PIPE, stderr=log)
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline().decode().strip() if ready else ""
        if not line.isdigit():
            self.__exit__()
            raise RuntimeError(f"pycsw did not start: see {self.log}")
        self.port = int(line)
        self._write_config(self._database)
        return self

    def __exit__(self, *exc) -> None:
        import shutil
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except Exception:  # noqa: BLE001 - then kill it
                self.process.kill()
                self.process.wait(10)
            self.process.stdout.close()
            self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def load(self, records: dict[str, str]) -> None:
        """Serve exactly these records from now on (a new SQLite file: pycsw caches its
        database engines by URL, and reads its configuration at each request)."""
        import hashlib
        import shutil
        import subprocess
        digest = hashlib.sha256(repr(sorted(records.items())).encode()).hexdigest()
        self._loads += 1
        database = os.path.join(self.dir, f"records-{self._loads}.db")
        if digest in self._cache:
            shutil.copyfile(self._cache[digest], database)
        else:
            folder = os.path.join(self.dir, f"records-{self._loads}")
            os.makedirs(folder)
            for name, xml in records.items():
                with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
                    f.write(xml)
            with open(self.log, "ab") as log:
                done = subprocess.run([PYCSW_PYTHON, "-W", "ignore", os.path.abspath(__file__), "load", database,
                                       folder], stdout=log, stderr=log, timeout=120)
            if done.returncode != 0:
                raise RuntimeError(f"pycsw could not load the records: see {self.log}")
            self._cache[digest] = database
        self._database = database
        if self.port is not None:
            self._write_config(database)

    def _write_config(self, database: str) -> None:
        text = CONFIG_TEMPLATE.format(home=self.dir, url=self.url, logfile=self.log, database=database)
        with open(self.config + ".new", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(self.config + ".new", self.config)


# --- pycsw's side ----------------------------------------------------------------------

def _load(database: str, records_dir: str) -> None:
    """A new SQLite repository holding the ISO 19139 files of a folder."""
    from pycsw.core import admin, config
    home = os.path.dirname(database)
    admin.setup_db("sqlite:///" + database, "records", home)
    loaded = admin.load_records(config.StaticContext(), "sqlite:///" + database, "records", records_dir)
    expected = len([f for f in os.listdir(records_dir) if f.endswith(".xml")])
    if len(loaded) != expected:
        sys.exit(f"pycsw loaded {len(loaded)} of the {expected} records of {records_dir}")


def _serve(config_path: str) -> None:
    """Serve pycsw on 127.0.0.1, on a free port written to stdout."""
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
    from socketserver import ThreadingMixIn

    os.environ["PYCSW_CONFIG"] = config_path
    from pycsw import wsgi

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    def application(environ, start_response):
        # pycsw answers every path; the tests use /csw
        return wsgi.application(environ, start_response)

    httpd = make_server("127.0.0.1", 0, application, server_class=Server, handler_class=Quiet)
    print(httpd.server_address[1], flush=True)
    sys.stdout = open(os.devnull, "w")  # pycsw prints each request's path
    httpd.serve_forever()


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "load":
        _load(sys.argv[2], sys.argv[3])
    elif command == "serve":
        _serve(sys.argv[2])
    else:
        sys.exit("usage: csw_server.py load DATABASE RECORDS_DIR | serve CONFIG")
