"""Download mode: data files copied into DataSud's storage after import, and kept in sync.

Contract used by the harvesters (see dcat.py):

``after_import(package_id)``
    called after a harvested dataset was created or updated; in download mode it queues
    the Celery task that copies the dataset's data files (never blocks the harvest);
``keep_local_copies(package_id, dataset_dict)``
    called before a harvested dataset is updated; resources already copied keep their
    local file (and its recorded size, type, checksum) when the remote URL is the same.
"""
from __future__ import annotations

from typing import Any

from ckanext.datasud.harvesting import records


def after_import(package_id: str) -> None:
    settings = records.current()
    if settings is None or settings.publication_mode != "download":
        return
    raise NotImplementedError("download mode is being built")


def keep_local_copies(package_id: str, dataset_dict: dict[str, Any]) -> None:
    return None
