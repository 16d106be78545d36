"""The DataSud plugin: everything DataSud adds to a stock CKAN.

Kept thin on purpose, like CKAN's own ``ckanext/activity``: the blanket decorators
register what lives in ``logic/``, ``helpers.py``, ``views.py``, ``cli.py`` and
``config_declaration.yaml``.
"""
from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation


@tk.blanket.config_declarations
@tk.blanket.cli
@tk.blanket.helpers
class DataSudPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)

    # IConfigurer
    def update_config(self, config):
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")
