"""Every URL a harvest fetches goes through here.

- Only ``http`` and ``https``; the host must resolve to public addresses only (no
  private, loopback, link-local, multicast or reserved address), unless it is on the
  allow-list ``ckanext.datasud.harvest.allowed_hosts`` (``host``, ``host:port`` or a
  network in CIDR form; the tests allow their own servers' ``127.0.0.1:port``).
- Redirects are followed by hand, at most five, each hop checked like the first.
- Responses are bounded in size (``ckanext.datasud.harvest.max_response_mb``) and in
  time (``ckanext.datasud.harvest.timeout``: per read and for the whole response).
- XML is parsed without DTD entities, external entities or network access.

Errors are :class:`HarvestFetchError` with a French message, recorded on the job or
object by the caller.
"""
from __future__ import annotations

import ipaddress
import json
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import urljoin, urlsplit

import requests
from defusedxml import ElementTree as DefusedElementTree
from defusedxml.common import DefusedXmlException
from lxml import etree

import ckan.plugins.toolkit as tk

MAX_REDIRECTS = 5
USER_AGENT = "DataSud-moissonneur/1.0 (+https://www.datasud.fr)"


class HarvestFetchError(Exception):
    """A URL that cannot or must not be fetched; the message is French, for reports."""


def max_bytes() -> int:
    return int(float(tk.config.get("ckanext.datasud.harvest.max_response_mb")) * 1024 * 1024)


def timeout() -> float:
    return float(tk.config.get("ckanext.datasud.harvest.timeout"))


def _allowed_entries() -> list[str]:
    return [entry.strip() for entry in tk.aslist(tk.config.get("ckanext.datasud.harvest.allowed_hosts"))
            if entry.strip()]


def _allow_listed(host: str, port: int, addresses: list[ipaddress._BaseAddress]) -> bool:
    for entry in _allowed_entries():
        if "/" in entry:
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                continue
            if addresses and all(a in network for a in addresses):
                return True
            continue
        entry_host, _sep, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_host.lower() == host.lower() and (not entry_port or entry_port == str(port)):
            return True
    return False


def check_url(url: str) -> str:
    """The URL if a harvest may fetch it; :class:`HarvestFetchError` otherwise."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        raise HarvestFetchError(f"Adresse invalide : {url!r}.")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HarvestFetchError(f"Adresse refusée : {url!r} (seules les adresses http et https sont moissonnées).")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise HarvestFetchError(f"Le serveur {host} est introuvable (nom de domaine inconnu).")
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        addresses.append(address)
    if _allow_listed(host, port, addresses):
        return url
    for address in addresses:
        if not address.is_global or address.is_multicast or address.is_reserved:
            raise HarvestFetchError(
                f"Adresse refusée : {host} désigne une adresse interne ({address}). Le moissonnage ne "
                "s'adresse qu'à des serveurs publics.")
    return url


@dataclass
class Fetched:
    url: str  # after redirects
    status: int
    headers: dict = field(default_factory=dict)
    content: bytes = b""

    @property
    def content_type(self) -> str:
        return (self.headers.get("content-type") or "").split(";", 1)[0].strip().lower()

    def text(self) -> str:
        """The content as text: in the charset its media type declares, else its XML
        declaration's encoding, else UTF-8 (a byte-order mark read); content that is not
        valid in that encoding is read as Windows-1252, which French exporters write
        while calling it ISO-8859-1 (its ’ and œ), and which reads any ISO-8859-1."""
        for encoding in (_declared_charset(self.headers.get("content-type")), _xml_encoding(self.content), "utf-8"):
            if not encoding:
                continue
            try:
                return self.content.decode("utf-8-sig" if encoding == "utf-8" else encoding)
            except (LookupError, UnicodeDecodeError):
                continue
        return self.content.decode("cp1252", errors="replace")


_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
# ISO-8859-1 and US-ASCII as declared by exporters writing Windows-1252 (a superset).
_LATIN = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "windows-1252", "cp1252"}


def _declared_charset(content_type: Optional[str]) -> Optional[str]:
    found = _CHARSET.search(content_type or "")
    return _encoding(found.group(1)) if found else None


def _xml_encoding(content: bytes) -> Optional[str]:
    found = _XML_ENCODING.match(content[:200])
    return _encoding(found.group(1).decode("ascii")) if found else None


def _encoding(name: str) -> str:
    name = name.strip().lower()
    if name in _LATIN:
        return "cp1252"
    return "utf-8" if name in ("utf8", "utf-8") else name


def open_stream(url: str, *, method: str = "GET", headers: Optional[dict] = None, data=None,
                session: Optional[requests.Session] = None) -> requests.Response:
    """A streamed response, after following (and checking) redirects; the caller reads it
    with :func:`read_bounded` and closes it."""
    session = session or requests.Session()
    hdrs = {"User-Agent": USER_AGENT, **(headers or {})}
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        check_url(current)
        try:
            response = session.request(method, current, headers=hdrs, data=data, stream=True,
                                       allow_redirects=False, timeout=timeout())
        except requests.exceptions.Timeout:
            raise HarvestFetchError(f"Le serveur n'a pas répondu à temps ({current}).")
        except requests.exceptions.RequestException as e:
            raise HarvestFetchError(f"Connexion impossible à {current} : {_reason(e)}.")
        if response.is_redirect:
            location = response.headers.get("location") or ""
            response.close()
            current = urljoin(current, location)
            if response.status_code in (301, 302, 303) and method == "POST":
                method, data = "GET", None
            continue
        return response
    raise HarvestFetchError(f"Trop de redirections depuis {url}.")


def _reason(error: Exception) -> str:
    text = str(error)
    return text if len(text) < 200 else text[:200] + "…"


def read_bounded(response: requests.Response, limit: Optional[int] = None,
                 deadline: Optional[float] = None) -> bytes:
    """The body of a streamed response, refused beyond ``limit`` bytes or after
    ``deadline`` seconds in all."""
    limit = limit if limit is not None else max_bytes()
    started = time.monotonic()
    deadline = deadline if deadline is not None else timeout() * 4
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        response.close()
        raise HarvestFetchError(_too_big(response.url, limit))
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(chunk_size=256 * 1024):
            size += len(chunk)
            if size > limit:
                raise HarvestFetchError(_too_big(response.url, limit))
            if time.monotonic() - started > deadline:
                raise HarvestFetchError(f"Le téléchargement de {response.url} a dépassé {deadline:.0f} s.")
            chunks.append(chunk)
    except requests.exceptions.RequestException as e:
        raise HarvestFetchError(f"Lecture interrompue de {response.url} : {_reason(e)}.")
    finally:
        response.close()
    return b"".join(chunks)


def _too_big(url: str, limit: int) -> str:
    return f"La réponse de {url} dépasse la taille autorisée ({limit // (1024 * 1024)} Mo)."


def fetch(url: str, *, method: str = "GET", headers: Optional[dict] = None, data=None,
          limit: Optional[int] = None, accept_status=(200,)) -> Fetched:
    """Fetch a URL within the limits above; HTTP errors are :class:`HarvestFetchError`."""
    response = open_stream(url, method=method, headers=headers, data=data)
    if response.status_code not in accept_status:
        response.close()
        raise HarvestFetchError(
            f"Le serveur a répondu {response.status_code} {response.reason or ''} pour {response.url}.".replace(
                "  ", " "))
    content = read_bounded(response, limit)
    return Fetched(url=response.url, status=response.status_code,
                   headers={k.lower(): v for k, v in response.headers.items()}, content=content)


# --- XML and JSON-LD ---------------------------------------------------------------

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_blank_text=False)


def check_xml(content: bytes | str) -> None:
    """Refuse XML that declares entities (billion laughs, external entities) or a DTD
    pointing elsewhere; malformed XML is refused too."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        DefusedElementTree.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise HarvestFetchError(
            "Document XML refusé : il déclare des entités (DTD), ce que le moissonnage n'accepte pas "
            "par sécurité.")
    except DefusedElementTree.ParseError as e:
        raise HarvestFetchError(f"Document XML mal formé : {e}.")


def parse_xml(content: bytes | str) -> etree._Element:
    """An lxml tree of a checked document (no entity, no network)."""
    check_xml(content)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        return etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as e:
        raise HarvestFetchError(f"Document XML mal formé : {e}.")


def check_jsonld(content: str) -> None:
    """JSON-LD whose @context is fetched from elsewhere is refused (the RDF parser would
    fetch it, outside these checks)."""
    try:
        document = json.loads(content)
    except ValueError as e:
        raise HarvestFetchError(f"Document JSON-LD mal formé : {e}.")

    def contexts(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    yield value
                yield from contexts(value)
        elif isinstance(node, list):
            for item in node:
                yield from contexts(item)

    for context in contexts(document):
        for value in context if isinstance(context, list) else [context]:
            if isinstance(value, str):
                raise HarvestFetchError(
                    f"Contexte JSON-LD distant refusé ({value}) : le catalogue doit inclure son contexte.")
