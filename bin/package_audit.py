"""Known vulnerabilities of the Python packages installed in DataSud's virtualenv.

Run by `bin/datasud audit` with the interpreter of .cache/pip-audit-venv (pip-audit and
its dependencies live there, apart from CKAN's pins):

    package_audit.py SITE_PACKAGES                  pip-audit against PyPI's advisories
    package_audit.py SITE_PACKAGES --offline FILE   against a local advisory list

It tells the truth about what it could check. Exit status:

    0  every package was checked and none has a known vulnerability
    1  vulnerabilities found (listed)
    2  the audit could not be done, or only partly: the advisory database could not be
       reached, or it did not know some packages (listed: they were NOT audited), or the
       advisory list is unreadable or empty

The local advisory list (``--offline``) is JSON: a list of advisories, each
``{"id": "CVE-2024-43371", "package": "ckan", "affected": "<2.10.5", "summary": "..."}``
with ``affected`` a PEP 440 version specifier set (e.g. ``">=2.11,<2.11.1"``) and an
optional ``fixed`` version; or an object ``{"advisories": [...]}``.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Our own code: not published, hence never known to an advisory database.
OWN_PACKAGES = {"ckanext-datasud"}

UNREACHABLE = re.compile(r"ConnectionError|ProxyError|NameResolution|Max retries exceeded|timed out|"
                         r"Timeout|SSLError|Connection refused|ServiceError", re.I)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_packages(site_packages: str) -> dict[str, str]:
    """{normalised name: version} of the distributions installed in ``site_packages``."""
    packages = {}
    for dist in importlib.metadata.distributions(path=[site_packages]):
        name = dist.metadata["Name"]
        if name:
            packages[normalise(name)] = dist.version
    return packages


@dataclass
class Verdict:
    checked: int = 0
    vulnerabilities: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, version, id, fix
    not_audited: list[tuple[str, str]] = field(default_factory=list)  # name, reason
    error: str = ""

    @property
    def status(self) -> int:
        if self.error or self.not_audited or not self.checked:
            return 2 if not self.vulnerabilities else 1
        return 1 if self.vulnerabilities else 0

    def report(self, source: str) -> str:
        lines = []
        if self.error:
            lines.append(f"audit NOT done: {self.error}")
        for name, version, vuln_id, fix in sorted(self.vulnerabilities):
            lines.append(f"VULNERABLE {name} {version}: {vuln_id}" + (f" (fixed in {fix})" if fix else ""))
        if self.not_audited and not self.checked and not self.error:
            examples = "; ".join(reason for _, reason in sorted(self.not_audited)[:3])
            lines.append(f"audit NOT done: {source} could check none of the {len(self.not_audited)} "
                         f"packages (e.g. {examples}). The advisory database answered for none of them: "
                         "is it unreachable, or a mirror without PyPI's JSON API?")
        elif self.not_audited:
            lines.append(f"{len(self.not_audited)} package(s) NOT audited ({source} could not check them):")
            lines.extend(f"  {name}: {reason}" for name, reason in sorted(self.not_audited))
        if not self.error:
            summary = f"{self.checked} package(s) checked against {source}"
            if self.vulnerabilities:
                summary += f": {len(self.vulnerabilities)} known vulnerabilit{'y' if len(self.vulnerabilities) == 1 else 'ies'}"
            elif self.checked and not self.not_audited:
                summary += ": no known vulnerability"
            elif not self.checked:
                summary = f"no package could be checked against {source}: the audit tells nothing"
            else:
                summary += ": no known vulnerability among them, but the others were NOT audited"
            lines.append(summary)
        return "\n".join(lines)


def verdict_of_pip_audit(report: dict) -> Verdict:
    """The verdict on pip-audit's JSON report (``--format json``)."""
    verdict = Verdict()
    for dep in report.get("dependencies", []):
        name = normalise(dep.get("name", ""))
        if dep.get("skip_reason"):
            if name not in OWN_PACKAGES:
                verdict.not_audited.append((name, dep["skip_reason"]))
            continue
        verdict.checked += 1
        for vuln in dep.get("vulns", []):
            verdict.vulnerabilities.append((name, dep.get("version", "?"), vuln.get("id", "?"),
                                            ", ".join(vuln.get("fix_versions", []))))
    return verdict


def audit_online(site_packages: str, timeout: int) -> Verdict:
    command = [sys.executable, "-m", "pip_audit", "--path", site_packages, "--format", "json",
               "--progress-spinner", "off", "--vulnerability-service", "pypi", "--timeout", str(timeout)]
    result = subprocess.run(command, capture_output=True, text=True)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        report = None
    if report is None or result.returncode not in (0, 1):
        last = next((line for line in reversed(result.stderr.strip().splitlines()) if line.strip()), "")
        if UNREACHABLE.search(result.stderr):
            return Verdict(error="could not reach the advisory database (PyPI's JSON API, "
                                 "https://pypi.org/pypi/<package>/<version>/json): "
                                 f"{last.strip()[:300]}. Behind a proxy, set HTTPS_PROXY; without "
                                 "network, audit against a local advisory list: bin/datasud audit --offline FILE")
        return Verdict(error=f"pip-audit failed (exit {result.returncode}): {last.strip()[:300]}")
    return verdict_of_pip_audit(report)


def load_advisories(path: Path) -> list[dict]:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read the advisory list {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ValueError(f"the advisory list {path} is not JSON: {exc}") from None
    if isinstance(data, dict):
        data = data.get("advisories")
    if not isinstance(data, list):
        raise ValueError(f"the advisory list {path} must be a JSON list of advisories")
    if not data:
        raise ValueError(f"the advisory list {path} is empty: there is nothing to audit against")
    advisories = []
    for number, item in enumerate(data, 1):
        if not (isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get("package"), str)
                and isinstance(item.get("affected"), str)):
            raise ValueError(f"advisory #{number} of {path} needs \"id\", \"package\" and \"affected\" (strings)")
        try:
            specifier = SpecifierSet(item["affected"])
        except InvalidSpecifier:
            raise ValueError(f"advisory {item['id']}: \"affected\" is not a version specifier: "
                             f"{item['affected']!r}") from None
        advisories.append(dict(item, package=normalise(item["package"]), specifier=specifier))
    return advisories


def audit_offline(packages: dict[str, str], advisories: list[dict]) -> Verdict:
    from packaging.version import InvalidVersion, Version

    verdict = Verdict()
    for name, version in packages.items():
        if name in OWN_PACKAGES:
            continue
        try:
            parsed = Version(version)
        except InvalidVersion:
            verdict.not_audited.append((name, f"version {version!r} cannot be compared"))
            continue
        verdict.checked += 1
        for advisory in advisories:
            if advisory["package"] == name and advisory["specifier"].contains(parsed, prereleases=True):
                verdict.vulnerabilities.append((name, version, advisory["id"], advisory.get("fixed", "")))
    return verdict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site_packages", help="site-packages directory of the virtualenv to audit")
    parser.add_argument("--offline", metavar="FILE", type=Path, help="a local advisory list (JSON) instead of PyPI")
    parser.add_argument("--timeout", type=int, default=15, help="seconds per request to PyPI (default 15)")
    args = parser.parse_args(argv)

    packages = installed_packages(args.site_packages)
    if not packages:
        print(f"audit NOT done: no package found in {args.site_packages}", file=sys.stderr)
        return 2
    if args.offline:
        try:
            advisories = load_advisories(args.offline)
        except ValueError as exc:
            print(f"audit NOT done: {exc}", file=sys.stderr)
            return 2
        verdict = audit_offline(packages, advisories)
        source = f"the {len(advisories)} advisories of {args.offline}"
    else:
        verdict = audit_online(args.site_packages, args.timeout)
        source = "PyPI's advisories"
    print(verdict.report(source), file=sys.stderr if verdict.status == 2 else sys.stdout)
    return verdict.status


if __name__ == "__main__":
    sys.exit(main())
