"""Who lists partners' harvest sources: ckanext-harvest's ``harvest_source_list`` checks
no authorisation at all (visitors got every source, with its catalogue URL and settings);
chained here so that its rule (logic/auth.py) applies."""
from __future__ import annotations

import ckan.plugins.toolkit as tk

__all__ = ["harvest_source_list"]


@tk.chained_action
@tk.side_effect_free
def harvest_source_list(up_func, context, data_dict):
    tk.check_access("harvest_source_list", context, data_dict)
    return up_func(context, data_dict)
