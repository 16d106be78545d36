"""DataSud's INSPIRE discovery service: published geographic datasets served as ISO 19139
records through CSW 2.0.2 at ``/csw`` (issue 13, item 5).

pycsw does the CSW: it runs as its own small service (``pycsw_service.py``, in its own
virtualenv: pycsw 2.6 needs an OWSLib older than ckanext-spatial's), on 127.0.0.1, with
transactions allowed from there only. The portal:

- writes each record (``iso19139.py``) and keeps the service in sync (``sync.py``): after
  every committed change of a dataset, a Celery task inserts, replaces or deletes its
  record, decided on what an anonymous visitor may see; a nightly task (and
  ``ckan datasud csw sync``) reconciles the whole catalogue;
- serves ``/csw`` to the world (``csw_views.py``) by passing the discovery requests
  (GetCapabilities, DescribeRecord, GetRecords, GetRecordById, GetDomain) to the
  service, never a transaction.
"""
