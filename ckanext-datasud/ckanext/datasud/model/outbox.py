"""Background work that could not be queued (the broker, Redis, was down): kept in
PostgreSQL and queued again when the broker is back (see ``ckanext.datasud.outbox``)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, Index, Integer, UnicodeText

from ckan.model import domain_object, types as _types
from ckan.model.base import BaseModel


class OutboxMessage(domain_object.DomainObject, BaseModel):
    """One Celery task to send: its name, arguments and queue; deleted once sent."""
    __tablename__ = "datasud_outbox"
    __table_args__ = (Index("idx_datasud_outbox_created", "created"), {"extend_existing": True})

    id = Column(UnicodeText, primary_key=True, default=_types.make_uuid)
    task = Column(UnicodeText, nullable=False)
    arguments = Column(_types.JsonDictType, nullable=False)  # {"args": [...], "kwargs": {...}}
    queue = Column(UnicodeText)
    created = Column(DateTime, nullable=False, default=dt.datetime.utcnow)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(UnicodeText, default="")
