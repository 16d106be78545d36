"""A local SolrCloud cluster for the tests and the scale-out benchmark: Solr's own
MiniSolrCloudCluster, started by solr/src/.../DataSudSolrCloud.java (compiled by
bin/datasud), driven through its stdin/stdout."""
from __future__ import annotations

import json
import os
import select
import subprocess
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("DATASUD_CACHE", ROOT / ".cache"))
CLASSPATH = f"{CACHE / 'solr' / 'lib'}/*:{CACHE / 'solr' / 'classes'}"
CONFIG_SET = ROOT / "solr" / "configsets" / "ckan" / "conf"
LAUNCHER_CLASS = CACHE / "solr" / "classes" / "fr" / "datasud" / "solr" / "DataSudSolrCloud.class"


def cloud_config_set(target: Path) -> Path:
    """DataSud's config set for SolrCloud: the same, but ``_version_`` a long with
    docValues (CKAN's schema has it a string, which a single node accepts; SolrCloud's
    replicas compare index fingerprints over it when one comes back)."""
    import shutil
    shutil.copytree(CONFIG_SET, target)
    schema = target / "schema.xml"
    text = schema.read_text(encoding="utf-8")
    line = '<field name="_version_" type="string" indexed="true" stored="true"/>'
    assert line in text
    schema.write_text(text.replace(line, '<field name="_version_" type="plong" indexed="false" stored="false" '
                                         'docValues="true"/>'), encoding="utf-8")
    return target


class Cluster:
    """The launcher's process: its nodes, and the stop/start commands it takes on stdin."""

    def __init__(self, base: Path):
        self.log = open(base / "solrcloud.log", "wb")
        self.process = subprocess.Popen(
            # Solr's logging (warnings) to stderr, a file: stdout carries only the launcher's answers
            ["java", "-Xms128m", "-Xmx768m", f"-Dsolr.log.dir={base / 'logs'}",
             f"-Dlog4j2.configurationFile={ROOT / 'solr' / 'log4j2.xml'}",
             "-Dsolr.install.dir=" + str(CACHE / "solr"), "-cp", CLASSPATH, "fr.datasud.solr.DataSudSolrCloud",
             str(base / "cluster"), str(cloud_config_set(base / "conf")), "4", "2", "2"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, cwd=base)
        self.state = self._answer(180)
        assert "nodes" in self.state, self.state

    def _answer(self, timeout: float) -> dict:
        """The launcher's next JSON line (Solr's own logging may print other lines)."""
        deadline = time.monotonic() + timeout
        while True:
            ready, _, _ = select.select([self.process.stdout], [], [], max(0, deadline - time.monotonic()))
            line = self.process.stdout.readline().decode().strip() if ready else ""
            assert ready and (line or self.process.poll() is None), \
                f"the SolrCloud launcher did not answer: see {self.log.name}"
            if line.startswith("{"):
                return json.loads(line)

    def command(self, text: str) -> dict:
        self.process.stdin.write((text + "\n").encode())
        self.process.stdin.flush()
        self.state = self._answer(120)
        assert "error" not in self.state, self.state
        return self.state

    @property
    def nodes(self) -> list[str]:
        return self.state["nodes"]

    def status(self) -> dict:
        answer = requests.get(f"{self.nodes[0]}/admin/collections", timeout=30,
                              params={"action": "CLUSTERSTATUS", "collection": "ckan", "wt": "json"})
        answer.raise_for_status()
        return answer.json()["cluster"]

    def placement(self) -> dict[str, list[dict]]:
        """Each shard's replicas: base URL, core, state, whether leader."""
        shards = self.status()["collections"]["ckan"]["shards"]
        return {name: [{"base_url": r["base_url"], "core": r["core"], "state": r["state"],
                        "leader": r.get("leader") == "true"} for r in shard["replicas"].values()]
                for name, shard in shards.items()}

    def wait_until_every_shard_has_a_live_leader(self, timeout: float = 90) -> None:
        deadline = time.time() + timeout
        while True:
            cluster = self.status()
            live = {f"http://{n.replace('_solr', '/solr')}" for n in cluster["live_nodes"]}
            shards = cluster["collections"]["ckan"]["shards"]
            if all(any(r["state"] == "active" and r.get("leader") == "true" and r["base_url"] in live
                       for r in shard["replicas"].values()) for shard in shards.values()):
                return
            assert time.time() < deadline, f"no live leader for every shard: {shards}"
            time.sleep(0.5)

    def close(self) -> None:
        try:
            self.process.stdin.close()
            self.process.wait(60)
        except Exception:  # noqa: BLE001 - then kill it
            self.process.kill()
            self.process.wait(10)
        self.log.close()
