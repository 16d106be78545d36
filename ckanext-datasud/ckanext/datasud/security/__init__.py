"""HTTP-level defences of the portal, installed on CKAN's Flask app by the plugin's
``IMiddleware`` hook (``middleware.install``): each module has an ``install(app)``.

- ``headers``: security headers on every page and file;
- ``files``: user files (uploads, copies of harvested files, scanned conventions) served
  so that they cannot script the portal;
- ``sessions``: session and remember-me cookies, server-side sessions ended at logout
  and password change;
- ``throttling``: login throttling and API rate limits (Redis);
- ``csrf``: the CSRF check of CKAN's, also for visitors who are not logged in.
"""
