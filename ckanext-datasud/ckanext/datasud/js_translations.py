"""The JavaScript modules' translations (CKAN's ``/api/i18n/<lang>``), built when the web
app starts.

CKAN builds them (``ckan.lib.i18n.build_js_translations``: the strings its JS modules use,
from CKAN's and the plugins' catalogues, ours included, into
``<ckan.storage_path>/i18n/js``) only in ``ckan run`` and ``ckan translation js``, not
under gunicorn: without them every JS string stays English (« Edit » beside the dataset
URL, the confirmation dialogs, the upload buttons…). The build is skipped when the
files are newer than the catalogues; workers starting together take turns (a lock file).
"""
from __future__ import annotations

import fcntl
import logging
import os

from ckan.lib import i18n

__all__ = ["build"]

log = logging.getLogger(__name__)


def build() -> None:
    """Build the JS translations that are missing or older than a catalogue; a failure
    (e.g. a read-only storage) is logged, the app starts anyway (in English for JS)."""
    try:
        dest = i18n.get_js_translations_dir()
        os.makedirs(dest, exist_ok=True)
        with open(os.path.join(dest, ".datasud-build.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            i18n.build_js_translations()
    except OSError as error:
        log.warning("JavaScript translations not built: %s", error)
