"""All models, imported here so Alembic and the app see one metadata."""

from app.models.analysis import (
    Assignment,
    CampaignBandKey,
    ItemKind,
    SearchDocument,
    SuggestionStatus,
    Tag,
    TagApplication,
    ThemeRun,
    ThemeRunStatus,
    ThemeSuggestion,
)
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
from app.models.users import ANONYMOUS, Anonymous, Role, User, Viewer

__all__ = [
    "ANONYMOUS",
    "Anonymous",
    "Assignment",
    "AuditEvent",
    "Base",
    "CampaignBandKey",
    "CampaignGroup",
    "Clause",
    "Comment",
    "CommentPlacement",
    "CommentReport",
    "CommentState",
    "DisplayAs",
    "ItemKind",
    "ModerationMode",
    "PlacementStatus",
    "Policy",
    "Response",
    "ResponseOutcome",
    "Role",
    "SearchDocument",
    "Section",
    "SuggestionStatus",
    "Tag",
    "TagApplication",
    "ThemeRun",
    "ThemeRunStatus",
    "ThemeSuggestion",
    "User",
    "Version",
    "VersionStatus",
    "Viewer",
    "audit",
]
