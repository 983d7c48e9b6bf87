"""Moderation: reports, the moderators' queue, the public moderation log and the admin pages."""
