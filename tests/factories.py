"""Test factories: CKAN's, with what DataSud's schema requires."""
from __future__ import annotations

import factory
from ckan.tests import factories as ckan_factories

Sysadmin = ckan_factories.Sysadmin
User = ckan_factories.User
Resource = ckan_factories.Resource


class Organization(ckan_factories.Organization):
    """A partner with a convention in force (so that its datasets can be public)."""

    @factory.post_generation
    def convention(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        import datetime as dt
        import ckan.model as model
        from ckanext.datasud.model import Convention
        model.Session.add(Convention(
            organization_id=obj["id"], reference=f"CONV-{obj['name']}", kind="partnership", status="in_force",
            signed_on=dt.date(2020, 1, 10), starts_on=dt.date(2020, 1, 15), created_by="test"))
        model.Session.commit()


class Dataset(ckan_factories.Dataset):
    """A valid DataSud dataset: a description and at least one theme; published through
    the validation workflow (by the site user, a sysadmin) unless ``private=True``."""

    @classmethod
    def _create(cls, target_class, *args, **kwargs):
        wants_private = kwargs.get("private", False)
        kwargs["private"] = True
        dataset = super()._create(target_class, *args, **kwargs)
        if not wants_private:
            from ckan.tests import helpers
            from ckanext.datasud.logic.workflow_action import publish_through_the_workflow
            site_user = helpers.call_action("get_site_user")["name"]
            publish_through_the_workflow(site_user, dataset["id"])
            dataset = helpers.call_action("package_show", id=dataset["id"])
        return dataset

    notes = factory.Faker("paragraph", locale="fr_FR")
    themes = factory.LazyFunction(lambda: ["culture-tourisme"])
    owner_org = factory.LazyFunction(lambda: Organization()["id"])
