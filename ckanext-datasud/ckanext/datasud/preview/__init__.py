"""Previews of data files on the resource page: the resource view ``datasud_preview``.

A small resource view of our own, working offline (no third-party service):

- ``reading.py`` reads a stored file (an upload, or a partner's file copied in download
  mode) and turns it into a :class:`~ckanext.datasud.preview.reading.Preview`: CSV/TSV
  (delimiter sniffed; UTF-8, UTF-16 with a BOM, else Windows-1252/Latin-1 as French
  exports often are) and XLSX (openpyxl, read-only, zip bombs refused) as the first
  rows of a table, GeoJSON checked and summarised (feature count, bounding box, the
  first features' properties), PDF checked by its header. Files above
  ``ckanext.datasud.preview.max_size`` are not read. What cannot be read gives a reason
  (never an exception), shown in French as « Aperçu indisponible ».
- ``plugin.py`` is the CKAN plugin ``datasud_preview`` (``IResourceView``, not iframed:
  the preview is part of the resource page; ``IBlueprint``: ``views.py``).
- ``views.py`` serves the file a browser needs to show a preview (the GeoJSON the map
  draws, the PDF the ``<iframe>`` shows) at ``/dataset/<id>/resource/<rid>/apercu``:
  checked by ``resource_show`` as the visitor, with the hardened headers of every user
  file (``security/files.py``: sandboxed CSP, ``nosniff``), and not counted as a
  download (the page showed it, nobody downloaded it).

Links to other sites are not previewed (fetching them while rendering a page would make
the page as slow as the partner's server, and the portal a proxy): their resource page
offers the link.
"""
