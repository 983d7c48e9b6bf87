"""All models, imported here so Alembic and the app see one metadata."""

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
from app.models.policies import Clause, ModerationMode, Policy, Section, Version, VersionStatus
from app.models.submissions import (
    Answer,
    Attachment,
    Channel,
    Consent,
    OrganisationKind,
    Question,
    QuestionKind,
    Redaction,
    RedactionReason,
    Submission,
    SubmissionState,
    SubmitterKind,
)
from app.models.users import ANONYMOUS, Anonymous, Role, User, Viewer

__all__ = [
    "ANONYMOUS",
    "Anonymous",
    "Answer",
    "Attachment",
    "AuditEvent",
    "Base",
    "CampaignGroup",
    "Channel",
    "Clause",
    "Comment",
    "CommentPlacement",
    "CommentReport",
    "CommentState",
    "Consent",
    "DisplayAs",
    "ModerationMode",
    "OrganisationKind",
    "PlacementStatus",
    "Policy",
    "Question",
    "QuestionKind",
    "Redaction",
    "RedactionReason",
    "Response",
    "ResponseOutcome",
    "Role",
    "Section",
    "Submission",
    "SubmissionState",
    "SubmitterKind",
    "User",
    "Version",
    "VersionStatus",
    "Viewer",
    "audit",
]
