"""Template helpers of DataSud (registered by ``tk.blanket.helpers``)."""
from __future__ import annotations

import ckan.plugins.toolkit as tk

__all__ = ["datasud_region_name"]


def datasud_region_name() -> str:
    """The region the portal serves, as shown to citizens."""
    return tk._("Région Sud Provence-Alpes-Côte d'Azur")
