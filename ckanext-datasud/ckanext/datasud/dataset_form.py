"""The partner's dataset form: its sections, and the territories of its area picker.

The form (``templates/scheming/package/snippets/package_form.html``) shows the schema's
dataset fields in four sections, in this order: « L'essentiel », « Contact et mise à
jour », « Couverture géographique » and « Détails INSPIRE », the last two folded
(``<details>``, opened when one of their fields has an error). Each field names its
section in ``schemas/dataset.yaml`` with the key ``form_section``; a field without one
joins the section of the field before it, so a new field lands beside its neighbours.

The area picker of « Couverture géographique » (``assets/js/dataset-form.js``) reads
``public/datasud/territoires.json``, served as a static file: the region, its six
départements (INSEE code, approximate bounding box), its EPCI (SIREN, départements) and
its communes (INSEE code, name, EPCI) from INSEE's Code officiel géographique as
published by Etalab's ``@etalab/decoupage-administratif`` 6.0.0 (npm). Bounding boxes of
communes are known only where DataSud's own data gives one (Marseille, from the demo
data); for the others, and for EPCI, the map shows the département(s) and the partner
draws the extent. Nothing is fetched from a third-party service.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, NamedTuple, Optional

import ckan.plugins.toolkit as tk

__all__ = ["datasud_form_sections", "datasud_form_selected", "TERRITORIES_FILE", "territories", "territory",
           "SECTIONS"]

TERRITORIES_FILE = Path(__file__).parent / "public" / "datasud" / "territoires.json"


class Section(NamedTuple):
    id: str
    title: str  # English msgid, translated when rendered
    folded: bool
    intro: str = ""


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is used."""
    return message


SECTIONS = [
    Section("essentials", N_("The essentials"), False),
    Section("contact", N_("Contact and updates"), False),
    Section("geography", N_("Geographic coverage"), True,
            N_("The territory the data covers, and its extent on a map.")),
    Section("inspire", N_("INSPIRE details"), True,
            N_("For geographic data described under the INSPIRE directive.")),
]
SECTION_IDS = [s.id for s in SECTIONS]


def datasud_form_sections(fields: list[dict], errors: Optional[dict] = None) -> list[dict]:
    """The form's sections, in order, each with its fields (in the schema's order), its
    translated title and intro, whether it is folded and whether one of its fields has an
    error (the template then opens it). Sections without fields are left out."""
    errors = errors or {}
    grouped: dict[str, list[dict]] = {s.id: [] for s in SECTIONS}
    current = SECTIONS[0].id
    for field in fields:
        wanted = field.get("form_section")
        if wanted in grouped:
            current = wanted
        grouped[current].append(field)
    sections = []
    for s in SECTIONS:
        shown = [f for f in grouped[s.id] if f.get("form_snippet", "text.html") is not None]
        if not shown:
            continue
        has_error = any(errors.get(f["field_name"]) for f in shown)
        sections.append({"id": s.id, "title": tk._(s.title), "intro": tk._(s.intro) if s.intro else "",
                         "folded": s.folded, "has_error": has_error, "fields": shown})
    return sections


def datasud_form_selected(value: Any) -> list[str]:
    """The values of a multiple field as the form may hold them: a list (submitted form
    or ``package_show``), a JSON list (stored value), one value (one box ticked)."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        try:
            loaded = json.loads(text)
        except ValueError:
            return [text]
        if isinstance(loaded, list):
            return [str(v) for v in loaded]
    return [text]


@functools.lru_cache(maxsize=1)
def territories() -> dict[str, Any]:
    """The region's territories, as the area picker reads them (see the module docstring)."""
    with open(TERRITORIES_FILE, encoding="utf-8") as f:
        return json.load(f)


def territory(level: str, code: str) -> Optional[dict[str, Any]]:
    """The territory of the region with this level (``commune``, ``epci``, ``departement``,
    ``region``) and code: ``{"code", "name", "bbox"}`` (``bbox`` None when unknown), or None
    when the region has no such territory."""
    data = territories()
    code = (code or "").strip().upper()
    if level == "region":
        region = data["region"]
        return dict(region) if region["code"] == code else None
    if level == "departement":
        return next((dict(d) for d in data["departements"] if d["code"] == code), None)
    if level == "epci":
        return next(({"code": e["code"], "name": e["name"], "bbox": None} for e in data["epci"]
                     if e["code"] == code), None)
    if level == "commune":
        for commune_code, name, _epci in data["communes"]:
            if commune_code == code:
                return {"code": code, "name": name, "bbox": data["commune_bboxes"].get(code)}
    return None
