"""Privacy forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SubmitField
from wtforms.fields.choices import SelectChoice

from app.privacy.services import CommentChoice


class DeleteAccountForm(FlaskForm):
    comments = RadioField(
        _l("What should happen to your comments?"),
        choices=[
            SelectChoice(
                CommentChoice.REMOVE.value,
                _l('Remove them. Each is replaced by "Removed at the author\'s request".'),
            ),
            SelectChoice(
                CommentChoice.ANONYMISE.value,
                _l('Keep them, anonymised. They stay, shown as "Anonymous member of the public".'),
            ),
        ],
        validate_choice=False,
    )
    password = PasswordField(
        _l("Your password"),
        description=_l("To confirm it is you. Deleting cannot be undone."),
    )
    submit = SubmitField(_l("Delete my account"))
