"""All models, imported here so Alembic and the app see one metadata."""

from app.models.api import ApiToken, IdempotencyRecord
from app.models.audit import AuditEvent, audit
from app.models.base import Base
from app.models.comments import (
    CampaignGroup,
    Comment,
    CommentPlacement,
    CommentReport,
    CommentState,
    DisplayAs,
    PlacementStatus,
    Response,
    ResponseOutcome,
)
from app.models.notifications import (
    KINDS,
    NotificationKind,
    NotificationSettings,
    OutboxMessage,
    OutboxStatus,
    PolicyFollow,
)
from app.models.policies import (
    Clause,
    ModerationMode,
    Policy,
    PolicyDocument,
    PublicationApproval,
    Section,
    Version,
    VersionStatus,
)
from app.models.users import ANONYMOUS, Anonymous, LoginThrottle, Role, User, Viewer

__all__ = [
    "ANONYMOUS",
    "KINDS",
    "Anonymous",
    "ApiToken",
    "AuditEvent",
    "Base",
    "CampaignGroup",
    "Clause",
    "Comment",
    "CommentPlacement",
    "CommentReport",
    "CommentState",
    "DisplayAs",
    "IdempotencyRecord",
    "LoginThrottle",
    "ModerationMode",
    "NotificationKind",
    "NotificationSettings",
    "OutboxMessage",
    "OutboxStatus",
    "PlacementStatus",
    "Policy",
    "PolicyDocument",
    "PolicyFollow",
    "PublicationApproval",
    "Response",
    "ResponseOutcome",
    "Role",
    "Section",
    "User",
    "Version",
    "VersionStatus",
    "Viewer",
    "audit",
]
