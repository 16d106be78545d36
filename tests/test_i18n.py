"""French first: CKAN's French translation, and every string of the extension translated."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "ckanext-datasud" / "ckanext" / "datasud" / "i18n"


def test_catalogue_template_is_up_to_date(tmp_path):
    """The .pot holds every translatable string of the code and templates."""
    out = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "setup.py", "-q", "extract_messages", "--output-file", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    fresh = {e.msgid for e in polib.pofile(str(out))}
    committed = {e.msgid for e in polib.pofile(str(I18N / "ckanext-datasud.pot"))}
    assert fresh == committed, f"run `python setup.py extract_messages`: new {fresh - committed}, gone {committed - fresh}"


def test_every_string_is_translated_to_french():
    pot = {e.msgid for e in polib.pofile(str(I18N / "ckanext-datasud.pot"))}
    po = polib.pofile(str(I18N / "fr" / "LC_MESSAGES" / "ckanext-datasud.po"))
    translated = {e.msgid for e in po.translated_entries()}
    assert pot <= translated, f"untranslated: {pot - translated}"
    assert not po.fuzzy_entries()


def test_pages_are_french_by_default_and_english_on_request(app):
    french = app.get("/dataset/").body
    assert '<html lang="fr"' in french and "Mots-clés" in french and "Mode de publication" in french
    english = app.get("/en/dataset/").body
    assert '<html lang="en"' in english and "Publication mode" in english
