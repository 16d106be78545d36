"""DataSud's tables (created by the migrations in migrations/)."""
from ckanext.datasud.model.convention import (  # noqa: F401
    Convention, ConventionNotice, PublicationOverride,
    CONVENTION_KINDS, CONVENTION_STATUSES,
)
from ckanext.datasud.model.review import Review, WorkflowState, WORKFLOW_STATES  # noqa: F401,E402
from ckanext.datasud.model.outbox import OutboxMessage  # noqa: F401,E402
from ckanext.datasud.model.downloads import DownloadCount, DownloadFold  # noqa: F401,E402
from ckanext.datasud.model.reuse import Reuse, ReuseDataset, REUSE_STATES  # noqa: F401,E402
