"""Reuses (« réutilisations »): what people made with DataSud's data — an application, a
visualisation, an article, an API… — declared by any logged-in user, moderated by the
programme team, and linked to the datasets they use.

A reuse is ``pending`` when declared, then ``published`` or ``rejected`` (with the
moderator, the date and, for a rejection, the reason). The link table
``datasud_reuse_dataset`` is indexed on the dataset, so a dataset page finds its reuses
with one indexed query.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, ForeignKey, Index, UnicodeText

from ckan.model import domain_object, types as _types
from ckan.model.base import BaseModel

REUSE_STATES = ("pending", "published", "rejected")


class Reuse(domain_object.DomainObject, BaseModel):
    """One declared reuse and where its moderation stands."""
    __tablename__ = "datasud_reuse"
    __table_args__ = (Index("idx_datasud_reuse_state", "state", "moderated"), {"extend_existing": True})

    id = Column(UnicodeText, primary_key=True, default=_types.make_uuid)
    title = Column(UnicodeText, nullable=False)
    description = Column(UnicodeText, nullable=False, default="")
    url = Column(UnicodeText, nullable=False)
    reuse_type = Column(UnicodeText, nullable=False)
    # an uploaded file's name (under uploads/reuse/ in the storage) or an https URL
    image_url = Column(UnicodeText, nullable=False, default="")
    state = Column(UnicodeText, nullable=False, default="pending")
    user_id = Column(UnicodeText, nullable=False)  # who declared it
    created = Column(DateTime, nullable=False, default=dt.datetime.utcnow)
    moderated_by = Column(UnicodeText)
    moderated = Column(DateTime)
    rejection_reason = Column(UnicodeText, nullable=False, default="")


class ReuseDataset(domain_object.DomainObject, BaseModel):
    """A dataset a reuse uses."""
    __tablename__ = "datasud_reuse_dataset"
    __table_args__ = (Index("idx_datasud_reuse_dataset_package", "package_id"), {"extend_existing": True})

    reuse_id = Column(UnicodeText, ForeignKey("datasud_reuse.id", ondelete="CASCADE"), primary_key=True)
    package_id = Column(UnicodeText, ForeignKey("package.id", ondelete="CASCADE"), primary_key=True)
