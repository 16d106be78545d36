"""The benchmark's catalogue: realistic DataSud datasets, generated with a fixed seed.

``catalogue(scale)`` gives the same organisations and datasets at every run for a given
scale (``random.Random(SEED)``): French titles and descriptions, 1 to 6 resources
(data files in the formats DataSud's partners publish, and some administrative
documents), one to three of the 16 themes, a partner among ~150 (300 at 20,000), a
territory of the region (commune, intercommunality, department or region) with its
extent, a quarter in reference mode (the data stays on the producer's site).

``datasud_dict()`` is the dataset as DataSud's schema takes it (ckanext-scheming),
``stock_dict()`` the same content for stock CKAN's default schema (DataSud's own
fields as extras, the themes as tags, the extent as ckanext-spatial's ``spatial``
extra), so both portals hold the same text, the same number of resources and the same
extents.
"""
from __future__ import annotations

import json
import random
import re
import unicodedata
from typing import Any, Iterator

SEED = 20260601

# Communes of the region: name, INSEE code, department, longitude, latitude.
COMMUNES = [
    ("Marseille", "13055", "13", 5.37, 43.30), ("Nice", "06088", "06", 7.26, 43.70),
    ("Toulon", "83137", "83", 5.93, 43.12), ("Aix-en-Provence", "13001", "13", 5.45, 43.53),
    ("Avignon", "84007", "84", 4.81, 43.95), ("Antibes", "06004", "06", 7.12, 43.58),
    ("Cannes", "06029", "06", 7.01, 43.55), ("La Seyne-sur-Mer", "83126", "83", 5.88, 43.10),
    ("Hyères", "83069", "83", 6.13, 43.12), ("Arles", "13004", "13", 4.63, 43.68),
    ("Fréjus", "83061", "83", 6.74, 43.43), ("Grasse", "06069", "06", 6.92, 43.66),
    ("Cagnes-sur-Mer", "06027", "06", 7.15, 43.66), ("Martigues", "13056", "13", 5.05, 43.40),
    ("Aubagne", "13005", "13", 5.57, 43.29), ("Gap", "05061", "05", 6.08, 44.56),
    ("Digne-les-Bains", "04070", "04", 6.24, 44.09), ("Manosque", "04112", "04", 5.79, 43.83),
    ("Briançon", "05023", "05", 6.64, 44.90), ("Salon-de-Provence", "13103", "13", 5.10, 43.64),
    ("Istres", "13047", "13", 4.99, 43.51), ("Carpentras", "84031", "84", 5.05, 44.06),
    ("Orange", "84087", "84", 4.81, 44.14), ("Menton", "06083", "06", 7.50, 43.78),
    ("Draguignan", "83050", "83", 6.46, 43.54), ("Cavaillon", "84035", "84", 5.04, 43.84),
    ("Sisteron", "04209", "04", 5.94, 44.20), ("Embrun", "05046", "05", 6.50, 44.56),
    ("Vitrolles", "13117", "13", 5.25, 43.46), ("La Ciotat", "13028", "13", 5.60, 43.17),
    ("Saint-Raphaël", "83118", "83", 6.77, 43.42), ("Brignoles", "83023", "83", 6.06, 43.41),
    ("Pertuis", "84089", "84", 5.50, 43.69), ("Forcalquier", "04088", "04", 5.78, 43.96),
    ("Barcelonnette", "04019", "04", 6.65, 44.39), ("Sainte-Maxime", "83115", "83", 6.64, 43.31),
]
DEPARTMENTS = {"04": ("Alpes-de-Haute-Provence", (5.50, 43.66, 6.97, 44.66)),
               "05": ("Hautes-Alpes", (5.42, 44.19, 7.08, 45.13)),
               "06": ("Alpes-Maritimes", (6.63, 43.48, 7.72, 44.36)),
               "13": ("Bouches-du-Rhône", (4.23, 43.16, 5.81, 43.93)),
               "83": ("Var", (5.66, 42.98, 6.94, 43.81)),
               "84": ("Vaucluse", (4.65, 43.66, 5.76, 44.43))}
REGION_BBOX = (4.23, 42.98, 7.72, 45.13)
EPCI = [("Métropole Aix-Marseille-Provence", "200054807", "13"), ("Métropole Nice Côte d'Azur", "200030195", "06"),
        ("Métropole Toulon Provence Méditerranée", "248300543", "83"),
        ("Grand Avignon", "248400251", "84"), ("Communauté d'agglomération Gap-Tallard-Durance", "200067452", "05"),
        ("Provence Alpes Agglomération", "200067437", "04"), ("Dracénie Provence Verdon agglomération", "248300493", "83"),
        ("Communauté d'agglomération Sophia Antipolis", "240600585", "06")]

THEMES = ["agriculture", "administration", "citoyennete", "economie", "imagerie", "limites-administratives",
          "mer-littoral-montagne", "social-sante-sports", "amenagement-urbanisme", "sciences-recherche",
          "energies-reseaux", "equipements-logement", "formation-emploi", "culture-tourisme",
          "mobilite-transports", "environnement-climat"]
# Subjects, with the themes they belong to and their keywords.
SUBJECTS = [
    ("Équipements sportifs", ["social-sante-sports", "equipements-logement"], ["sport", "équipements"]),
    ("Qualité de l'air", ["environnement-climat"], ["air", "pollution", "santé"]),
    ("Arrêts et lignes de bus", ["mobilite-transports"], ["transport", "bus", "GTFS"]),
    ("Pistes cyclables", ["mobilite-transports", "amenagement-urbanisme"], ["vélo", "mobilité douce"]),
    ("Budget primitif", ["administration"], ["budget", "finances publiques"]),
    ("Délibérations du conseil", ["citoyennete", "administration"], ["délibérations", "conseil"]),
    ("Plan local d'urbanisme", ["amenagement-urbanisme"], ["PLU", "urbanisme", "zonage"]),
    ("Cadastre solaire", ["energies-reseaux"], ["énergie", "solaire", "toitures"]),
    ("Consommation électrique", ["energies-reseaux"], ["électricité", "consommation"]),
    ("Établissements scolaires", ["formation-emploi", "equipements-logement"], ["éducation", "écoles"]),
    ("Offres d'emploi", ["formation-emploi", "economie"], ["emploi", "recrutement"]),
    ("Musées et monuments", ["culture-tourisme"], ["patrimoine", "culture"]),
    ("Hébergements touristiques", ["culture-tourisme", "economie"], ["tourisme", "hôtels"]),
    ("Marchés publics attribués", ["economie", "administration"], ["marchés publics", "commande publique"]),
    ("Parcelles agricoles", ["agriculture"], ["agriculture", "RPG"]),
    ("Forêts publiques", ["agriculture", "environnement-climat"], ["forêt", "ONF"]),
    ("Plages et zones de baignade", ["mer-littoral-montagne", "social-sante-sports"], ["baignade", "littoral"]),
    ("Sentiers de randonnée", ["mer-littoral-montagne", "culture-tourisme"], ["randonnée", "montagne"]),
    ("Orthophotographie", ["imagerie"], ["orthophoto", "imagerie aérienne"]),
    ("Occupation du sol", ["imagerie", "amenagement-urbanisme"], ["occupation du sol", "OCSGE"]),
    ("Limites communales", ["limites-administratives"], ["limites", "communes", "référentiel"]),
    ("Adresses (BAL)", ["limites-administratives"], ["adresses", "BAL"]),
    ("Logements sociaux", ["equipements-logement", "social-sante-sports"], ["logement", "habitat"]),
    ("Maisons de santé", ["social-sante-sports"], ["santé", "médecins"]),
    ("Bornes de recharge", ["energies-reseaux", "mobilite-transports"], ["IRVE", "véhicules électriques"]),
    ("Fréquentation des lignes TER", ["mobilite-transports"], ["TER", "train", "fréquentation"]),
    ("Risques d'inondation", ["environnement-climat", "amenagement-urbanisme"], ["inondation", "PPRI", "risques"]),
    ("Laboratoires de recherche", ["sciences-recherche"], ["recherche", "innovation"]),
    ("Subventions aux associations", ["citoyennete", "economie"], ["subventions", "associations"]),
    ("Points d'apport volontaire", ["environnement-climat", "equipements-logement"], ["déchets", "tri"]),
    ("Stationnement", ["mobilite-transports"], ["parkings", "stationnement"]),
    ("Températures et précipitations", ["environnement-climat", "sciences-recherche"], ["climat", "météo"]),
]
PHRASES = [
    "Les données sont mises à jour par le service producteur et publiées sur DataSud.",
    "Chaque ligne décrit un objet avec son identifiant, son nom, sa commune et ses coordonnées.",
    "Le jeu de données couvre le territoire indiqué ; les coordonnées sont exprimées en WGS 84.",
    "Les champs vides signifient que l'information n'était pas connue à la date d'extraction.",
    "Ces données sont issues du système d'information du producteur et vérifiées avant publication.",
    "La méthodologie de collecte est décrite dans le document joint.",
    "Les réutilisateurs sont invités à signaler toute erreur au point de contact.",
    "Les montants sont exprimés en euros, toutes taxes comprises.",
    "Les données personnelles ont été retirées conformément au RGPD.",
    "Le millésime correspond à l'année de référence des données, non à celle de publication.",
]
FORMATS = [("CSV", "text/csv", "csv"), ("GeoJSON", "application/geo+json", "geojson"),
           ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
           ("JSON", "application/json", "json"), ("SHP", "application/zip", "zip"),
           ("PDF", "application/pdf", "pdf"), ("WMS", "", "wms")]
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
FREQUENCIES = ["DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "ANNUAL", "IRREG", "NEVER"]
GRANULARITIES = ["commune", "point", "parcelle", "epci", "departement", "iris"]
LICENCES = ["etalab-2.0"] * 8 + ["odc-odbl"] * 2


def luhn(first8: str) -> str:
    """A SIREN with a valid check digit (Luhn) from its first 8 digits."""
    for last in "0123456789":
        digits = [int(c) for c in first8 + last]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
        if total % 10 == 0:
            return first8 + last
    raise ValueError(first8)


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def organisations(scale: int) -> list[dict[str, Any]]:
    """The partners: the Région, departments, intercommunalities, cities, agencies."""
    count = 150 if scale <= 5000 else 300
    orgs = [{"name": "region-sud", "title": "Région Sud Provence-Alpes-Côte d'Azur", "partner_type": "region",
             "territory": ("region", "93", "Provence-Alpes-Côte d'Azur", REGION_BBOX)}]
    for code, (name, bbox) in DEPARTMENTS.items():
        orgs.append({"name": f"departement-{code}", "title": f"Département {name}", "partner_type": "departement",
                     "territory": ("departement", code, name, bbox)})
    for name, siren, dep in EPCI:
        orgs.append({"name": slugify(name), "title": name, "partner_type": "epci",
                     "territory": ("epci", luhn(siren[:8]), name, DEPARTMENTS[dep][1])})
    kinds = ["Ville de {}", "Office de tourisme de {}", "Régie des transports de {}", "CCAS de {}",
             "Syndicat des eaux de {}", "Agence d'urbanisme de {}", "Théâtre municipal de {}", "Port de {}"]
    n = 0
    while len(orgs) < count:
        kind = kinds[(n // len(COMMUNES)) % len(kinds)]
        commune, insee, dep, lon, lat = COMMUNES[n % len(COMMUNES)]
        suffix = "" if n < len(COMMUNES) * len(kinds) else f" {n // (len(COMMUNES) * len(kinds)) + 1}"
        title = kind.format(commune) + suffix
        orgs.append({"name": slugify(title), "title": title, "partner_type": "commune" if kind.startswith("Ville")
                     else "autre", "territory": ("commune", insee, commune, (lon - .08, lat - .06, lon + .08, lat + .06))})
        n += 1
    return orgs


def _polygon(bbox: tuple[float, float, float, float]) -> str:
    w, s, e, n = (round(v, 4) for v in bbox)
    return json.dumps({"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]})


def catalogue(scale: int) -> tuple[list[dict[str, Any]], Iterator[dict[str, Any]]]:
    """The organisations and (lazily) the ``scale`` datasets, in DataSud's terms."""
    orgs = organisations(scale)
    return orgs, _datasets(scale, orgs)


def _datasets(scale: int, orgs: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    rng = random.Random(SEED)
    for i in range(1, scale + 1):
        org = orgs[min(int((rng.paretovariate(1.2) - 1) * 6), len(orgs) - 1) if rng.random() < .5
                   else rng.randrange(len(orgs))]
        subject, themes, keywords = rng.choice(SUBJECTS)
        level, code, place, bbox = org["territory"]
        if level == "departement" and rng.random() < .5:  # a commune of the department
            commune = rng.choice([c for c in COMMUNES if c[2] == code])
            level, code, place = "commune", commune[1], commune[0]
            bbox = (commune[3] - .08, commune[4] - .06, commune[3] + .08, commune[4] + .06)
        year = rng.randint(2015, 2026)
        title = f"{subject} — {place} ({year})"
        extra_themes = [t for t in rng.sample(THEMES, rng.randint(0, 1)) if t not in themes]
        reference = rng.random() < .25
        landing = f"https://data.{org['name']}.example/jeux/{slugify(subject)}-{year}"
        notes = (f"{subject} sur le territoire de {place}, millésime {year}. "
                 + " ".join(rng.sample(PHRASES, rng.randint(2, 5)))
                 + f"\n\nProducteur : {org['title']}.")
        resources = []
        for r in range(rng.randint(1, 6)):
            fmt, mimetype, ext = FORMATS[0] if r == 0 else rng.choice(FORMATS)
            if fmt == "PDF" and rng.random() < .6:
                resources.append({"name": f"Délibération relative à la publication ({year})", "format": "PDF",
                                  "url": f"https://data.{org['name']}.example/documents/deliberation-{i}-{r}.pdf",
                                  "resource_type": "document", "document_kind": "deliberation",
                                  "document_date": f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"})
                continue
            resources.append({"name": f"{subject} {year} ({fmt})", "format": fmt, "mimetype": mimetype or None,
                              "url": f"https://data.{org['name']}.example/fichiers/{slugify(subject)}-{i}-{r}.{ext}",
                              "description": rng.choice(PHRASES)})
        yield {
            "name": f"{slugify(subject)}-{slugify(place)}-{year}-{i:05d}"[:100],
            "title": title, "notes": notes, "owner_org": org["name"],
            "themes": themes + extra_themes, "tags": keywords + [str(year)],
            "license_id": rng.choice(LICENCES),
            "publication_mode": "reference" if reference else "download",
            "url": landing if reference or rng.random() < .3 else "",
            "frequency": FREQUENCY + rng.choice(FREQUENCIES),
            "granularity": rng.choice(GRANULARITIES),
            "spatial_level": level, "spatial_code": code, "spatial_text": place, "spatial": _polygon(bbox),
            "temporal_start": f"{year}-01-01", "issued": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "contact_name": f"{org['title']} — service des données",
            "contact_email": f"donnees@{org['name']}.example",
            "resources": resources,
        }


def datasud_dict(dataset: dict[str, Any]) -> dict[str, Any]:
    """The dataset for DataSud's schema, created private (published by the workflow)."""
    data = {k: v for k, v in dataset.items() if k not in ("tags", "resources") and v not in ("", None)}
    data["tags"] = [{"name": t} for t in dataset["tags"]]
    data["resources"] = [{k: v for k, v in r.items() if v is not None} for r in dataset["resources"]]
    data["private"] = True
    return data


STOCK_FIELDS = ("title", "name", "notes", "owner_org", "license_id", "url")


def stock_dict(dataset: dict[str, Any]) -> dict[str, Any]:
    """The same dataset for stock CKAN's default schema: DataSud's fields as extras."""
    data = {k: dataset[k] for k in STOCK_FIELDS if dataset.get(k)}
    data["tags"] = [{"name": t} for t in dataset["tags"] + dataset["themes"]]
    data["extras"] = [{"key": k, "value": v} for k, v in dataset.items()
                      if k not in STOCK_FIELDS and k not in ("tags", "resources", "themes") and v]
    data["resources"] = [{k: v for k, v in r.items() if v is not None and k in ("name", "format", "url",
                                                                              "description", "mimetype")}
                         for r in dataset["resources"]]
    return data
