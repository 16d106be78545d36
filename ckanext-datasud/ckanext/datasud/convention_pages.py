"""Template helpers of the Conventions tab of an organisation
(templates/datasud/conventions.html)."""
from __future__ import annotations

from typing import Any, Optional

from ckanext.datasud import conventions

__all__ = ["datasud_publication_override"]


def datasud_publication_override(organization_id: Optional[str]) -> Optional[dict[str, Any]]:
    """The publication override a sysadmin recorded for the organisation (it may then
    publish without a convention in force): its reason, date (dd/mm/yyyy) and author;
    None when there is none."""
    override = conventions.override_for(organization_id) if organization_id else None
    if override is None:
        return None
    return {"reason": override.reason, "created_by": override.created_by,
            "created_display": override.created.strftime("%d/%m/%Y") if override.created else ""}
