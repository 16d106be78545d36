"""Signals DataSud listens to (registered through ``ISignal``)."""
from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.datasud import downloads


def _count_download(resource_id: str, **kwargs) -> None:
    downloads.record_served_file(resource_id)


def get_subscriptions():
    return {tk.signals.resource_download: [_count_download]}
