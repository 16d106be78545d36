"""The validation workflow before publication: each dataset's current state, and the
history of every transition (never edited)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, UnicodeText

from ckan.model import domain_object, types as _types
from ckan.model.base import BaseModel

WORKFLOW_STATES = ("draft", "submitted", "committee", "commission", "published", "withdrawn")


class WorkflowState(domain_object.DomainObject, BaseModel):
    """Where a dataset stands; the row is locked while a transition is applied."""
    __tablename__ = "datasud_workflow"
    __table_args__ = {"extend_existing": True}

    package_id = Column(UnicodeText, ForeignKey("package.id", ondelete="CASCADE"), primary_key=True)
    state = Column(UnicodeText, nullable=False, default="draft")
    version = Column(Integer, nullable=False, default=0)
    commission_vote_required = Column(UnicodeText)  # "yes" / "no" once the committee said it
    modified = Column(DateTime, nullable=False, default=dt.datetime.utcnow)


class Review(domain_object.DomainObject, BaseModel):
    """One transition: who, when, from, to, decision, comment, attached document."""
    __tablename__ = "datasud_review"
    __table_args__ = (Index("idx_datasud_review_package", "package_id", "created"), {"extend_existing": True})

    id = Column(UnicodeText, primary_key=True, default=_types.make_uuid)
    package_id = Column(UnicodeText, ForeignKey("package.id", ondelete="CASCADE"), nullable=False)
    transition = Column(UnicodeText, nullable=False)
    from_state = Column(UnicodeText, nullable=False)
    to_state = Column(UnicodeText, nullable=False)
    decision = Column(UnicodeText)
    comment = Column(UnicodeText, default="")
    document_url = Column(UnicodeText, default="")
    details = Column(_types.JsonDictType)
    user_id = Column(UnicodeText, nullable=False)
    created = Column(DateTime, nullable=False, default=dt.datetime.utcnow)
