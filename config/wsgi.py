"""WSGI entry point of the DataSud web app, for gunicorn.

    CKAN_INI=/path/to/ckan.ini gunicorn --chdir config wsgi:application
"""
import logging.config
import os

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

config_file = os.environ.get("CKAN_INI") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "development.ini")
# The ini's [loggers] sections, as `ckan run` applies them.
logging.config.fileConfig(config_file, disable_existing_loggers=False,
                          defaults={"here": os.path.dirname(os.path.abspath(config_file))})
application = make_app(CKANConfigLoader(config_file).get_config())
