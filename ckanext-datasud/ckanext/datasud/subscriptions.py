"""Signals DataSud listens to (registered through ``ISignal``)."""
from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.datasud import services


def _count_download(resource_id: str, **kwargs) -> None:
    services.count_download(resource_id)


def get_subscriptions():
    return {tk.signals.resource_download: [_count_download]}
