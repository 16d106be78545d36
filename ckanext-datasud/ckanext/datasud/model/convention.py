"""Partner conventions: which organisation signed what with the Région, since when,
until when. Only a partner with a convention in force publishes."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, UnicodeText, UniqueConstraint, or_

import ckan.model as model
from ckan.model import domain_object, types as _types
from ckan.model.base import BaseModel

# kind: what the convention is about
CONVENTION_KINDS = ("partnership", "data_opening_support", "harvesting")
# status: its life cycle; only `in_force` (between its start and end dates) lets publish
CONVENTION_STATUSES = ("draft", "in_force", "suspended", "expired", "terminated")


class Convention(domain_object.DomainObject, BaseModel):
    __tablename__ = "datasud_convention"
    __table_args__ = (
        Index("idx_datasud_convention_org", "organization_id"),
        {"extend_existing": True},
    )

    id = Column(UnicodeText, primary_key=True, default=_types.make_uuid)
    organization_id = Column(UnicodeText, ForeignKey("group.id", ondelete="CASCADE"), nullable=False)
    reference = Column(UnicodeText, nullable=False, unique=True)
    kind = Column(UnicodeText, nullable=False)
    status = Column(UnicodeText, nullable=False, default="draft")
    signed_on = Column(Date)
    starts_on = Column(Date, nullable=False)
    ends_on = Column(Date)
    signatories = Column(UnicodeText, default="")
    document_url = Column(UnicodeText, default="")
    scope_notes = Column(UnicodeText, default="")
    created = Column(DateTime, nullable=False, default=dt.datetime.utcnow)
    created_by = Column(UnicodeText)
    modified = Column(DateTime, nullable=False, default=dt.datetime.utcnow)
    modified_by = Column(UnicodeText)

    def in_force_on(self, day: dt.date) -> bool:
        return (self.status == "in_force" and self.starts_on <= day
                and (self.ends_on is None or day <= self.ends_on))

    @classmethod
    def for_organization(cls, organization_id: str) -> list["Convention"]:
        return (model.Session.query(cls).filter(cls.organization_id == organization_id)
                .order_by(cls.starts_on.desc()).all())

    @classmethod
    def in_force_query(cls, day: Optional[dt.date] = None):
        day = day or dt.date.today()
        return model.Session.query(cls).filter(
            cls.status == "in_force", cls.starts_on <= day,
            or_(cls.ends_on.is_(None), cls.ends_on >= day))


class ConventionNotice(domain_object.DomainObject, BaseModel):
    """A reminder sent to the programme team before a convention ends (sent once)."""
    __tablename__ = "datasud_convention_notice"
    __table_args__ = (
        UniqueConstraint("convention_id", "days_before", "ends_on"),
        {"extend_existing": True},
    )

    id = Column(UnicodeText, primary_key=True, default=_types.make_uuid)
    convention_id = Column(UnicodeText, ForeignKey("datasud_convention.id", ondelete="CASCADE"), nullable=False)
    days_before = Column(Integer, nullable=False)
    ends_on = Column(Date, nullable=False)
    sent = Column(DateTime, nullable=False, default=dt.datetime.utcnow)


class PublicationOverride(domain_object.DomainObject, BaseModel):
    """A sysadmin lets an organisation publish without a convention in force, with a reason."""
    __tablename__ = "datasud_publication_override"
    __table_args__ = {"extend_existing": True}

    organization_id = Column(UnicodeText, ForeignKey("group.id", ondelete="CASCADE"), primary_key=True)
    reason = Column(UnicodeText, nullable=False)
    created = Column(DateTime, nullable=False, default=dt.datetime.utcnow)
    created_by = Column(UnicodeText, nullable=False)
