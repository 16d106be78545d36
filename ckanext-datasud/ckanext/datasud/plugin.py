"""The DataSud plugin: everything DataSud adds to a stock CKAN.

Kept thin on purpose, like CKAN's own ``ckanext/activity``: the blanket decorators
register what lives in ``logic/``, ``helpers.py``, ``views.py``, ``cli.py`` and
``config_declaration.yaml``; search facets and indexing are in ``search.py``.
"""
from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

from ckanext.datasud import (catalogue_cache, dcat_endpoints, downloads, feeds, js_translations, middleware,
                              permissions, search, subscriptions)
from ckanext.datasud.csw import sync as csw_sync
from ckanext.datasud.logic import publication
from ckanext.datasud.helpers import current_language


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.config_declarations
@tk.blanket.cli
@tk.blanket.helpers
@tk.blanket.validators
@tk.blanket.blueprints
class DataSudPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.ISignal)
    p.implements(p.IPermissionLabels)
    p.implements(p.IMiddleware, inherit=True)
    p.implements(p.IFeed)
    p.implements(p.IConfigurable)

    # IConfigurer
    def update_config(self, config):
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")
        tk.add_resource("assets", "datasud")
        catalogue_cache.listen()
        catalogue_cache.subscribe(csw_sync.queue)  # the discovery service follows the catalogue
        catalogue_cache.subscribe(dcat_endpoints.queue_warm_catalogue)  # and the DCAT catalogue's Turtle

    # IFacets
    def dataset_facets(self, facets_dict, package_type):
        return search.dataset_facets(facets_dict)

    def organization_facets(self, facets_dict, organization_type, package_type):
        return search.dataset_facets(facets_dict)

    # IPackageController: nothing public outside the workflow, decided on what is stored
    def create(self, pkg):
        publication.check_created(pkg)

    def edit(self, pkg):
        publication.check_edited(pkg)

    def before_dataset_index(self, pkg_dict):
        return search.before_dataset_index(pkg_dict)

    def before_dataset_search(self, search_params):
        return search.before_dataset_search(search_params)

    def after_dataset_show(self, context, pkg_dict):
        downloads.after_dataset_show(context, pkg_dict)

    def after_dataset_search(self, search_results, search_params):
        return search.after_dataset_search(search_results, current_language())

    # ISignal
    def get_signal_subscriptions(self):
        return subscriptions.get_subscriptions()

    # IPermissionLabels: reviewers see the datasets waiting for their decision
    _labels = permissions.ReviewPermissionLabels()

    def get_dataset_labels(self, dataset_obj):
        return self._labels.get_dataset_labels(dataset_obj)

    def get_user_dataset_labels(self, user_obj):
        return self._labels.get_user_dataset_labels(user_obj)

    # IMiddleware: security headers, safe file serving, sessions, throttling, degraded mode
    def make_middleware(self, app, config):
        return middleware.install(app)

    # IFeed: the Atom feeds in the page's language (CKAN writes xml:lang="en")
    def get_feed_class(self):
        return feeds.DataSudFeed

    # IConfigurable: the JS modules' translations, which only `ckan run` builds
    def configure(self, config):
        js_translations.build()
