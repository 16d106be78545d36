"""Test factories: CKAN's, with what DataSud's schema requires."""
from __future__ import annotations

import factory
from ckan.tests import factories as ckan_factories

Organization = ckan_factories.Organization
Sysadmin = ckan_factories.Sysadmin
User = ckan_factories.User
Resource = ckan_factories.Resource


class Dataset(ckan_factories.Dataset):
    """A valid DataSud dataset: a description and at least one theme."""

    notes = factory.Faker("paragraph", locale="fr_FR")
    themes = factory.LazyFunction(lambda: ["culture-tourisme"])
    owner_org = factory.LazyFunction(lambda: ckan_factories.Organization()["id"])
