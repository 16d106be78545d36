"""Download counts of resources, folded from Redis into PostgreSQL (see
``ckanext.datasud.downloads``). No foreign key: the count of a resource deleted since
stays, like its history."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, UnicodeText

from ckan.model import domain_object
from ckan.model.base import BaseModel


class DownloadCount(domain_object.DomainObject, BaseModel):
    """How many times a resource was downloaded through the portal, and when last."""
    __tablename__ = "datasud_download_count"
    __table_args__ = (Index("idx_datasud_download_count_package", "package_id"), {"extend_existing": True})

    resource_id = Column(UnicodeText, primary_key=True)
    package_id = Column(UnicodeText, nullable=False)
    count = Column(BigInteger, nullable=False, default=0)
    last_download = Column(DateTime)


class DownloadFold(domain_object.DomainObject, BaseModel):
    """A Redis hash of counters already added to ``datasud_download_count``."""
    __tablename__ = "datasud_download_fold"
    __table_args__ = {"extend_existing": True}

    key = Column(UnicodeText, primary_key=True)
    folded = Column(DateTime, nullable=False)
