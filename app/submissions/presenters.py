"""Labels for the words of submissions: consent, channels, kinds of organisation, states, the agree scale."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.models import Channel, Consent, OrganisationKind, SubmissionState, SubmitterKind

CONSENT_LABELS = {
    Consent.NAMED.value: _l("Publish it with my name"),
    Consent.ANONYMOUS.value: _l("Publish it without my name"),
    Consent.PRIVATE.value: _l("Do not publish it (the drafting team still reads it)"),
}
SUBMITTER_LABELS = {
    SubmitterKind.INDIVIDUAL.value: _l("As an individual"),
    SubmitterKind.ORGANISATION.value: _l("On behalf of an organisation"),
}
ORGANISATION_LABELS = {
    OrganisationKind.IWI.value: _l("Iwi, hapū or Māori organisation"),
    OrganisationKind.COMMUNITY.value: _l("Community group or NGO"),
    OrganisationKind.BUSINESS.value: _l("Business"),
    OrganisationKind.GOVERNMENT.value: _l("Government agency"),
    OrganisationKind.ACADEMIC.value: _l("Academic or research"),
    OrganisationKind.OTHER.value: _l("Other organisation"),
}
CHANNEL_LABELS = {
    Channel.ONLINE.value: _l("Online"),
    Channel.POST.value: _l("Post"),
    Channel.EMAIL.value: _l("Email"),
    Channel.HUI.value: _l("Hui or meeting"),
    Channel.PHONE.value: _l("Phone"),
}
STATE_LABELS = {
    SubmissionState.DRAFT.value: _l("Draft, not sent yet"),
    SubmissionState.PUBLISHED.value: _l("Received"),
    SubmissionState.HELD.value: _l("Waiting for a moderator"),
    SubmissionState.HIDDEN.value: _l("Hidden by a moderator"),
    SubmissionState.WITHDRAWN.value: _l("Withdrawn"),
}
AGREE_LABELS = {
    "strongly_agree": _l("Strongly agree"),
    "agree": _l("Agree"),
    "neutral": _l("Neither agree nor disagree"),
    "disagree": _l("Disagree"),
    "strongly_disagree": _l("Strongly disagree"),
}
KIND_LABELS = {
    "single": _l("Single choice"),
    "multiple": _l("Multiple choice"),
    "agree": _l("Agree scale"),
    "text": _l("Free text"),
}


def organisation_kind_label(kind: str | None) -> str:
    return str(ORGANISATION_LABELS.get(kind or "", ORGANISATION_LABELS[OrganisationKind.OTHER.value]))


def option_label(kind: str, option: str) -> str:
    """What an answer option reads as: the agree scale's words, or the choice as the drafter wrote it."""
    return str(AGREE_LABELS.get(option, option)) if kind == "agree" else option


REDACTION_LABELS = {
    "personal_details": _l("personal details"),
    "defamatory": _l("possibly defamatory"),
    "abusive": _l("abusive"),
    "confidential": _l("confidential"),
    "other": _l("other"),
}


def redacted_text(body: str, redactions: list[tuple[str, str]]) -> str:
    """The body with each redacted passage replaced by "[redacted: reason]" (longest passages first)."""
    from flask_babel import gettext as _

    for passage, reason in sorted(redactions, key=lambda r: -len(r[0])):
        body = body.replace(
            passage, _("[redacted: %(reason)s]", reason=str(REDACTION_LABELS.get(reason, reason)))
        )
    return body
