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
    Submission,
    SubmissionState,
    SubmitterKind,
)
from app.models.users import ANONYMOUS, Anonymous, Role, User, Viewer

__all__ = [
    "Answer",
    "Attachment",
    "Channel",
    "Consent",
    "OrganisationKind",
    "Question",
    "QuestionKind",
    "Submission",
    "SubmissionState",
    "SubmitterKind",
    "ANONYMOUS",
    "Anonymous",
    "AuditEvent",
    "Base",
    "CampaignGroup",
    "Clause",
    "Comment",
    "CommentPlacement",
    "CommentReport",
    "CommentState",
    "DisplayAs",
    "ModerationMode",
    "PlacementStatus",
    "Policy",
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
