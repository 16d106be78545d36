"""``/sitemap.xml`` and ``/robots.txt`` (issue 13, item 4).

The sitemap lists what an anonymous visitor may see, nothing else: the published public
datasets (``package_search`` as the anonymous user: public, active, validated — a draft,
a dataset waiting for review, a withdrawn or deleted one never appears), the partners
with published datasets (one facet of the same search), and DataSud's pages (home, search,
themes, partners, licence, about, glossary…; an endpoint another part of the portal does
not register is left out).

Fast whatever the size of the catalogue: datasets come from Solr only (``fl`` =
``name`` and ``metadata_modified``), ``ckanext.datasud.sitemap.rows`` at a time with
keyset paging on the name, streamed as they come. A sitemap holds at most 50,000 URLs
(sitemaps.org): beyond ``ckanext.datasud.sitemap.urls_per_file`` (50,000) URLs,
``/sitemap.xml`` is a sitemap index of ``/sitemap-pages.xml`` (the pages and partners)
and ``/sitemap-datasets-<n>.xml`` (the datasets, that many per file, by name).

``/robots.txt``: CKAN's rules (``ckan/public/robots.txt``) with the sitemap's absolute
address, plus DataSud's download-counting URLs (crawlers are not counted anyway).
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any, Iterator, Optional
from urllib.parse import quote
from xml.sax.saxutils import escape

from flask import Blueprint, Response, stream_with_context
from werkzeug.routing import BuildError

import ckan.plugins.toolkit as tk

__all__ = ["datasud_sitemap", "published_count", "dataset_rows"]

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50000  # sitemaps.org's limit per file
#: DataSud's pages (endpoint, change frequency), those registered listed.
PAGES = [
    ("home.index", "daily"), ("dataset.search", "daily"), ("datasud_concepts.scheme", "monthly"),
    ("datasud.partners", "weekly"), ("organization.index", "weekly"), ("datasud.licence", "monthly"),
    ("datasud_pages.a_propos", "monthly"), ("datasud_pages.glossaire", "monthly"),
    ("datasud_pages.contact", "yearly"), ("datasud_pages.mentions_legales", "yearly"),
    ("datasud_pages.accessibilite", "yearly"), ("datasud_developers.developers", "monthly"),
    ("datasud_reuses.index", "weekly"),
]
ANONYMOUS = {"user": "", "ignore_auth": False}
# A filter of our own beside the caller-independent ones package_search adds.
PUBLISHED = ["+capacity:public", "+state:active", "-dataset_type:harvest"]

datasud_sitemap = Blueprint("datasud_sitemap", __name__)


def urls_per_file() -> int:
    return min(MAX_URLS, max(1, tk.asint(tk.config.get("ckanext.datasud.sitemap.urls_per_file", MAX_URLS))))


def rows_per_query() -> int:
    return max(1, min(1000, tk.asint(tk.config.get("ckanext.datasud.sitemap.rows", 1000))))


def site_url() -> str:
    return tk.config.get("ckan.site_url", "").rstrip("/")


def _search(fq_list: list[str], rows: int, **extra) -> dict:
    return tk.get_action("package_search")(dict(ANONYMOUS), {
        "q": "*:*", "fq_list": PUBLISHED + fq_list, "rows": rows, "include_private": False,
        "include_drafts": False, **extra})


def published_count() -> int:
    return int(_search([], 0)["count"])


def dataset_rows(after: Optional[str] = None, limit: Optional[int] = None) -> Iterator[dict]:
    """The published datasets (name, metadata_modified) by name, after ``after``, at most
    ``limit``: keyset paging, so that a dataset published meanwhile shifts nothing."""
    given = 0
    while limit is None or given < limit:
        rows = rows_per_query() if limit is None else min(rows_per_query(), limit - given)
        fq = [f'name:{{"{after}" TO *]'] if after else []
        result = _search(fq, rows, sort="name asc", fl="name,metadata_modified")
        batch = result["results"]
        for row in batch:
            yield row
        given += len(batch)
        if len(batch) < rows:
            return
        after = batch[-1]["name"]


def _lastmod(value: Any) -> str:
    text = str(value or "")
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.isoformat(timespec="seconds")


def _url(loc: str, lastmod: str = "", changefreq: str = "") -> str:
    parts = [f"<url><loc>{escape(loc)}</loc>"]
    if lastmod:
        parts.append(f"<lastmod>{lastmod}</lastmod>")
    if changefreq:
        parts.append(f"<changefreq>{changefreq}</changefreq>")
    return "".join(parts) + "</url>\n"


def publishing_partners() -> list[str]:
    """The names of the organisations with published datasets (one Solr facet)."""
    facets = _search([], 0, **{"facet": "true", "facet.field": ["organization"], "facet.limit": -1,
                               "facet.mincount": 1})
    return sorted(facets.get("facets", {}).get("organization", {}))


def page_urls(partners: Optional[list[str]] = None) -> Iterator[str]:
    base = site_url()
    for endpoint, changefreq in PAGES:
        try:
            path = tk.url_for(endpoint)
        except BuildError:
            continue
        yield _url(base + path, changefreq=changefreq)
    for name in publishing_partners() if partners is None else partners:
        yield _url(f"{base}/organization/{quote(name)}", changefreq="weekly")


def dataset_urls(after: Optional[str] = None, limit: Optional[int] = None) -> Iterator[str]:
    base = site_url()
    for row in dataset_rows(after, limit):
        yield _url(f"{base}/dataset/{quote(row['name'])}", _lastmod(row.get("metadata_modified")))


def _urlset(urls: Iterator[str]) -> Iterator[str]:
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
    yield from urls
    yield "</urlset>\n"


def _xml(chunks: Iterator[str]) -> Response:
    response = Response(stream_with_context(chunks), content_type="application/xml; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def sitemap() -> Response:
    count, per_file, partners = published_count(), urls_per_file(), publishing_partners()
    if count + len(PAGES) + len(partners) <= per_file:  # one file holds everything
        def everything():
            yield from page_urls(partners)
            yield from dataset_urls()
        return _xml(_urlset(everything()))
    base = site_url()
    files = [tk.url_for("datasud_sitemap.pages")] + [
        tk.url_for("datasud_sitemap.datasets", n=n) for n in range(1, math.ceil(count / per_file) + 1)]
    body = [f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n']
    body += [f"<sitemap><loc>{escape(base + path)}</loc></sitemap>\n" for path in files]
    body.append("</sitemapindex>\n")
    return _xml(iter(body))


def pages() -> Response:
    return _xml(_urlset(page_urls()))


def datasets(n: int) -> Response:
    """The ``n``-th file of datasets: those after the last name of file ``n - 1`` (one
    Solr query with ``start`` to find it, then keyset paging)."""
    per_file = urls_per_file()
    count = published_count()
    if n < 1 or (n - 1) * per_file >= max(count, 1):
        return tk.abort(404, tk._("Page not found"))
    after = None
    if n > 1:
        previous = _search([], 1, sort="name asc", fl="name", start=(n - 1) * per_file - 1)["results"]
        if not previous:
            return tk.abort(404, tk._("Page not found"))
        after = previous[0]["name"]
    return _xml(_urlset(dataset_urls(after, per_file)))


def robots() -> Response:
    lines = [
        "User-agent: *",
        "Disallow: /dataset/rate/",
        "Disallow: /revision/",
        "Disallow: /dataset/*/history",
        "Disallow: /dataset/*/resource/*/telecharger",
        "Disallow: /api/",
        "Crawl-Delay: 10",
        "",
        f"Sitemap: {site_url()}{tk.url_for('datasud_sitemap.sitemap')}",
        "",
    ]
    return Response("\n".join(lines), content_type="text/plain; charset=utf-8")


datasud_sitemap.add_url_rule("/sitemap.xml", view_func=sitemap, endpoint="sitemap")
datasud_sitemap.add_url_rule("/sitemap-pages.xml", view_func=pages, endpoint="pages")
datasud_sitemap.add_url_rule("/sitemap-datasets-<int:n>.xml", view_func=datasets, endpoint="datasets")
datasud_sitemap.add_url_rule("/robots.txt", view_func=robots, endpoint="robots")
