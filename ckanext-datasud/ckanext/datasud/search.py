"""Search: DataSud's facets, how its fields are indexed in Solr, and the advanced search.

The advanced search (the search page's « Recherche avancée » panel, open with
``?avance=1`` or when a criterion is set) is a plain GET form: its URL is bookmarkable.
Criteria on indexed fields use the facets' own parameter names (``vocab_themes``,
``organization``, ``license_id``, ``res_format``, ``publication_mode``,
``spatial_level``, ``frequency``): CKAN's search view makes them Solr ``fq`` clauses
(``field:"value"``), and :func:`before_dataset_search` rebuilds those clauses of the
page's query: checked against the vocabularies, escaped (a quote in a value is not a
Solr syntax error), ``avance`` dropped. The other criteria are search extras (API too):

- ``ext_modified_from`` / ``ext_modified_to`` (``YYYY-MM-DD``, inclusive): the data's
  last update (« mise à jour »), i.e. the dataset's ``modified`` (DCAT ``dct:modified``,
  given by the producer or its catalogue), else, when it has none, the last change of
  the dataset on DataSud (``metadata_modified``). Indexed as ``data_modified_date``
  (Solr date field, :func:`data_modified`).
- ``ext_bbox`` (``minx,miny,maxx,maxy``, WGS 84): ckanext-spatial's map filter, checked
  here first (ckanext-spatial answers an unknown box with a bare ``SearchError``).

Bad input on the search page or an organisation's page (a date « 2024-13-45 », a box with letters, an unknown
theme, a sort « drop table »): the criterion is ignored, the page says so in French
(:func:`datasud_search_notices`) with the results of the rest, and answers 400 (the
request was wrong; CKAN answers 400 to refused searches to discourage spiders). In the
Action API it is a French 400 (``search_errors.SearchRefused``).
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import OrderedDict
from typing import Any, Optional

import ckan.plugins.toolkit as tk

# Solr fields of the facets (multi-valued fields use CKAN's `vocab_*` dynamic field).
THEMES_FIELD = "vocab_themes"


def dataset_facets(facets: OrderedDict) -> OrderedDict:
    """Theme, publication mode, partner, licence, format, geographic level."""
    _ = tk._
    ordered = OrderedDict()
    ordered[THEMES_FIELD] = _("Themes")
    ordered["publication_mode"] = _("Publication mode")
    ordered["organization"] = _("Producers")
    ordered["license_id"] = _("Licences")
    ordered["res_format"] = _("Formats")
    ordered["spatial_level"] = _("Geographic level")
    ordered["frequency"] = _("Update frequency")
    ordered["tags"] = _("Keywords")
    for key, label in facets.items():
        if key not in ordered and key != "groups":
            ordered[key] = label
    facets.clear()
    facets.update(ordered)
    return facets


def before_dataset_index(pkg_dict: dict) -> dict:
    """Index the themes as a multi-valued field; keep single values as they are."""
    themes = pkg_dict.get("themes")
    if isinstance(themes, str):
        try:
            themes = json.loads(themes)
        except ValueError:
            themes = [themes]
    if themes:
        pkg_dict[THEMES_FIELD] = list(themes)
    # The JSON text is not a valid single value for the catch-all string field.
    pkg_dict.pop("themes", None)
    # Downloads (added by package_show) in an int field for sorting, and in search results
    from ckanext.datasud import downloads
    downloads.index_counts(pkg_dict)
    modified = data_modified(pkg_dict)
    if modified:
        pkg_dict[DATA_MODIFIED_FIELD] = modified
    if pkg_dict.get("type") == "dataset":
        from ckanext.datasud.logic.workflow_action import state_of
        state = state_of(pkg_dict["id"])
        # Public means published (a harvested dataset is indexed before its history line)
        pkg_dict["workflow_state"] = "published" if state == "draft" and not pkg_dict.get("private") else state
    return pkg_dict


FACET_VOCABULARIES = {THEMES_FIELD: "themes", "publication_mode": "publication_modes",
                      "spatial_level": "spatial_levels", "frequency": "frequencies"}


def after_dataset_search(results: dict, lang: str) -> dict:
    """Facet items carry the vocabulary labels (in the user's language), not slugs."""
    from ckanext.datasud import vocabularies

    for facet, vocabulary in FACET_VOCABULARIES.items():
        for item in results.get("search_facets", {}).get(facet, {}).get("items", []):
            item["display_name"] = vocabularies.label(vocabulary, item["name"], lang)
    return results


# --- The data's last update ------------------------------------------------------------

# Solr field (CKAN's ``*_date`` dynamic field, a date) of the data's last update.
DATA_MODIFIED_FIELD = "data_modified_date"


def _utc(value: Any) -> Optional[dt.datetime]:
    """A date or date-time (ISO text) as a UTC date-time; None when it is not one."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


def data_modified(pkg_dict: dict) -> Optional[str]:
    """The data's last update in Solr's date format: the dataset's ``modified`` (DCAT
    ``dct:modified``), else the last change of the dataset on DataSud."""
    moment = _utc(pkg_dict.get("modified")) or _utc(pkg_dict.get("metadata_modified"))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


# --- The advanced search -----------------------------------------------------------------

ADVANCED_PARAM = "avance"
MODIFIED_FROM = "ext_modified_from"
MODIFIED_TO = "ext_modified_to"
BBOX = "ext_bbox"
# Criteria on indexed fields (their facets' names) whose values are checked
CHECKED_FIELDS = (THEMES_FIELD, "organization", "license_id", "publication_mode", "spatial_level", "frequency")
ADVANCED_FIELDS = CHECKED_FIELDS + ("res_format",)
ADVANCED_EXTRAS = (MODIFIED_FROM, MODIFIED_TO, BBOX)

# Sorts the search page accepts: fields Solr can sort on, each ascending or descending
SORTABLE = {"score", "metadata_modified", "metadata_created", "title_string", "name", "downloads",
            DATA_MODIFIED_FIELD}
DEFAULT_SORT = "score desc, metadata_modified desc"
_SORT_CLAUSE = re.compile(r"^\s*([a-z_]+)\s+(asc|desc)\s*$")
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_FRENCH_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class Refused(ValueError):
    """A criterion that cannot be applied, with the French message saying why."""


def _notice_key() -> str:
    return "datasud_search_notices"


def _quoted(value: str) -> str:
    """A Solr phrase: the value between quotes, its backslashes and quotes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_day(value: str, name: str) -> dt.date:
    """A day given as ``YYYY-MM-DD`` (what a date field sends) or ``DD/MM/YYYY``."""
    text = (value or "").strip()
    match = _DAY.match(text)
    parts = match.groups() if match else None
    if not parts:
        french = _FRENCH_DAY.match(text)
        parts = (french.group(3), french.group(2), french.group(1)) if french else None
    try:
        if not parts:
            raise ValueError(text)
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise Refused(tk._('"{value}" is not a date ({name}): expected YYYY-MM-DD, e.g. 2024-06-30.').format(
            value=text[:40], name=name))


def modified_clause(start: Optional[str], end: Optional[str]) -> tuple[Optional[str], list[str]]:
    """The ``fq`` clause of a range of the data's last update, and what was wrong."""
    problems, days = [], {}
    names = {"start": tk._("updated from"), "end": tk._("updated until")}
    for key, value in (("start", start), ("end", end)):
        if value is None or not str(value).strip():
            continue
        try:
            days[key] = parse_day(str(value), names[key])
        except Refused as refused:
            problems.append(str(refused))
    if not days:
        return None, problems
    first, last = days.get("start"), days.get("end")
    if first and last and first > last:
        problems.append(tk._("The update period ends before it starts: its dates were swapped."))
        first, last = last, first
    low = f"{first.isoformat()}T00:00:00Z" if first else "*"
    high = f"{last.isoformat()}T23:59:59.999Z" if last else "*"
    return f"+{DATA_MODIFIED_FIELD}:[{low} TO {high}]", problems


def check_bbox(value: Any) -> None:
    """A map box ``minx,miny,maxx,maxy`` of finite WGS 84 coordinates."""
    parts = str(value).split(",") if not isinstance(value, (list, tuple)) else list(value)
    try:
        numbers = [float(p) for p in parts]
    except (TypeError, ValueError):
        numbers = []
    if (len(numbers) != 4 or not all(math.isfinite(n) for n in numbers)
            or not (-180 <= numbers[0] <= 180 and -180 <= numbers[2] <= 180)
            or not (-90 <= numbers[1] <= 90 and -90 <= numbers[3] <= 90)):
        raise Refused(tk._('The map area "{value}" is not understood: it was ignored.').format(
            value=str(value)[:60]))


def check_value(field: str, value: str) -> None:
    """A facet criterion's value exists (theme, mode, level, frequency, licence, producer)."""
    from ckanext.datasud import vocabularies
    vocabulary = FACET_VOCABULARIES.get(field)
    if vocabulary:
        known = value in vocabularies.values(vocabulary)
    elif field == "license_id":
        import ckan.model as model
        known = value in model.Package.get_license_register()
    elif field == "organization":
        import ckan.model as model
        group = model.Group.get(value)
        known = group is not None and group.is_organization and group.state == "active"
    else:
        known = True
    if not known:
        labels = {THEMES_FIELD: tk._("theme"), "organization": tk._("producer"), "license_id": tk._("licence"),
                  "publication_mode": tk._("publication mode"), "spatial_level": tk._("geographic level"),
                  "frequency": tk._("update frequency")}
        raise Refused(tk._('Unknown {criterion}: "{value}". This criterion was ignored.').format(
            criterion=labels.get(field, field), value=value[:80]))


def check_sort(sort: str) -> None:
    """A sort the search page offers or could: known fields, ``asc`` or ``desc``."""
    clauses = [_SORT_CLAUSE.match(part) for part in sort.split(",")]
    if not all(c and c.group(1) in SORTABLE for c in clauses):
        raise Refused(tk._('Unknown sort order "{value}": results are sorted by relevance.').format(
            value=sort[:60]))


# Pages whose search ignores bad criteria with a notice (an organisation's page searches
# its datasets with the same form); elsewhere (the API) they are refused.
SEARCH_PAGES = ("dataset.search", "organization.read")


def _page_args():
    """The query string of a search page, when this search is that page's."""
    from flask import has_request_context, request
    if not has_request_context() or request.endpoint not in SEARCH_PAGES:
        return None
    return request.args


def _on_dataset_search_page() -> bool:
    from flask import has_request_context, request
    return has_request_context() and request.endpoint == "dataset.search"


def _ckan_clauses(args) -> list[tuple[str, str, str]]:
    """(param, value, clause) of the ``fq`` clauses CKAN's search view built from the URL
    (``views/dataset.py: _get_search_details``)."""
    return [(param, value, ' %s:"%s"' % (param, value)) for param, value in args.items(multi=True)
            if param not in ("q", "page", "sort") and len(value) and not param.startswith(("_", "ext_"))]


def _rebuild_page_fq(fq: str, args, notices: list[str]) -> str:
    """The page's criteria clauses again: checked, escaped, ``avance`` left out."""
    clauses = _ckan_clauses(args)
    built = "".join(clause for _p, _v, clause in clauses).strip()
    if not built or not fq.strip().startswith(built):
        return fq  # not the page's own query (another search during the request)
    fq = fq.strip()[len(built):]
    rebuilt = []
    for param, value, _clause in clauses:
        if param == ADVANCED_PARAM:
            continue
        if not _FIELD_NAME.match(param):
            notices.append(tk._('Unknown search criterion "{name}": it was ignored.').format(name=param[:40]))
            continue
        try:
            check_value(param, value)
        except Refused as refused:
            notices.append(str(refused))
            continue
        rebuilt.append(f"+{param}:{_quoted(value)}")
    return " ".join(rebuilt + [fq.strip()]).strip()


def before_dataset_search(search_params: dict) -> dict:
    """IPackageController.before_dataset_search: the advanced criteria, the page's
    criteria checked, the page's sort checked, ``sort=downloads`` understood."""
    from ckanext.datasud import downloads
    from ckanext.datasud.search_errors import SearchRefused

    args = _page_args()
    notices: list[str] = []

    def refuse(message: str) -> None:
        if args is None:
            raise SearchRefused(message)
        notices.append(message)

    if args is not None and _on_dataset_search_page() and isinstance(search_params.get("fq"), str):
        search_params["fq"] = _rebuild_page_fq(search_params["fq"], args, notices)

    extras = search_params.get("extras") or {}
    clause, problems = modified_clause(extras.get(MODIFIED_FROM), extras.get(MODIFIED_TO))
    if problems:
        if args is None:
            raise SearchRefused(" ".join(problems))
        notices.extend(problems)
    if clause:
        search_params["fq"] = f"{search_params.get('fq') or ''} {clause}".strip()
    if extras.get(BBOX):
        try:
            check_bbox(extras[BBOX])
        except Refused as refused:
            extras.pop(BBOX)
            refuse(str(refused))

    sort = search_params.get("sort")
    if args is not None and sort and args.get("sort"):
        try:
            check_sort(sort)
        except Refused as refused:
            search_params["sort"] = DEFAULT_SORT
            notices.append(str(refused))
    if search_params.get("sort"):
        search_params["sort"] = downloads.search_sort(search_params["sort"])
    if notices:
        _tell(notices)
    return search_params


def _tell(notices: list[str]) -> None:
    """The page says what it ignored, and answers 400."""
    from flask import after_this_request, g
    known = g.get(_notice_key()) or []
    setattr(g, _notice_key(), known + [n for n in notices if n not in known])

    @after_this_request
    def _bad_request(response):
        if response.status_code == 200:
            response.status_code = 400
        return response


def datasud_search_notices() -> list[str]:
    """What the search page ignored of its URL, in French (template helper)."""
    from flask import g, has_request_context
    return list(g.get(_notice_key()) or []) if has_request_context() else []


def _criteria_open(args) -> bool:
    return bool(args.get(ADVANCED_PARAM)) or any(args.get(name) for name in ADVANCED_FIELDS + ADVANCED_EXTRAS)


def datasud_advanced_search(search_facets: Optional[dict] = None) -> dict:
    """What the advanced search panel shows (template helper): whether it is open, each
    criterion's select (French labels from the vocabularies; producers and formats from
    the search's own facets: those that have data), the dates and the map box given."""
    from flask import request
    from ckanext.datasud import licences, vocabularies
    from ckanext.datasud.helpers import current_language

    lang = current_language()
    args = request.args
    facets = search_facets or {}

    def facet_options(field: str) -> list[tuple[str, str]]:
        items = (facets.get(field) or {}).get("items") or []
        return sorted(((i["name"], i.get("display_name") or i["name"]) for i in items),
                      key=lambda option: option[1].lower())

    def vocabulary_options(name: str) -> list[tuple[str, str]]:
        return [(c["value"], c["label"].get(lang) or c["label"]["fr"]) for c in vocabularies.VOCABULARIES[name]()]

    _ = tk._
    criteria = [
        (THEMES_FIELD, _("Theme"), vocabulary_options("themes")),
        ("organization", _("Producer"), facet_options("organization")),
        ("license_id", _("Licence"), [(lic["id"], lic["title"]) for lic in licences.licences()]),
        ("res_format", _("Format"), facet_options("res_format")),
        ("publication_mode", _("Publication mode"), vocabulary_options("publication_modes")),
        ("spatial_level", _("Geographic level"), vocabulary_options("spatial_levels")),
        ("frequency", _("Update frequency"), vocabulary_options("frequencies")),
    ]
    selects = []
    for name, label, options in criteria:
        given = [v for v in args.getlist(name) if v]
        selected = given[0] if given else ""
        if selected and selected not in {value for value, _label in options}:
            options = options + [(selected, selected)]
        selects.append({"name": name, "id": "advanced-" + name.replace("_", "-"), "label": label,
                        "options": options, "selected": selected, "others": given[1:]})
    return {
        "open": _criteria_open(args),
        "selects": selects,
        "names": list(ADVANCED_FIELDS) + [ADVANCED_PARAM],
        "modified_from": args.get(MODIFIED_FROM, ""),
        "modified_to": args.get(MODIFIED_TO, ""),
        "from_name": MODIFIED_FROM,
        "to_name": MODIFIED_TO,
    }
