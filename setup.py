"""DataSud: the regional open data portal of Région Sud, as a CKAN extension.

The extension package lives in ``ckanext-datasud/`` (import name ``ckanext.datasud``);
the alembic migrations in ``migrations/`` are reached through
``ckanext-datasud/ckanext/datasud/migration/datasud`` so that
``ckan db upgrade -p datasud`` applies them.
"""
from setuptools import find_namespace_packages, setup

setup(
    name="ckanext-datasud",
    version="0.1.0",
    description="DataSud, the open data portal of Région Sud Provence-Alpes-Côte d'Azur",
    license="AGPL-3.0-or-later",
    python_requires=">=3.10",
    package_dir={"": "ckanext-datasud"},
    packages=find_namespace_packages(where="ckanext-datasud", include=["ckanext.datasud*"]),
    include_package_data=True,
    package_data={
        "ckanext.datasud": [
            "templates/**/*", "public/**/*", "assets/**/*", "schemas/*.yaml",
            "demo/*", "i18n/*/LC_MESSAGES/*", "i18n/*.pot",
        ],
    },
    entry_points={
        "ckan.plugins": [
            "datasud = ckanext.datasud.plugin:DataSudPlugin",
            "datasud_preview = ckanext.datasud.preview.plugin:DataSudPreviewPlugin",
            "datasud_dcat_harvester = ckanext.datasud.harvesting.dcat:DataSudDCATHarvester",
            "datasud_csw_harvester = ckanext.datasud.harvesting.csw:DataSudCSWHarvester",
            "datasud_ckan_harvester = ckanext.datasud.harvesting.ckan:DataSudCKANHarvester",
        ],
        "ckan.rdf.profiles": [
            "datasud = ckanext.datasud.dcat:DataSudDCATProfile",
        ],
        "babel.extractors": [
            "ckan = ckan.lib.extract:extract_ckan",
        ],
    },
    message_extractors={
        "ckanext-datasud/ckanext": [
            ("**.py", "python", None),
            ("**.js", "javascript", None),
            ("**/templates/**.html", "ckan", None),
        ],
    },
)
