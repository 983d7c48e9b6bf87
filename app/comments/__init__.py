"""Public comments on clauses: posting, replies, receipts, campaigns, visibility.

One module per job: `services` (use cases that change data), `listing` (what pages read), `presenters` (how a
comment is shown: `CommentView`, the author label, dates), `visibility` (who sees what), `editing` (who may
still change a comment), `periods`, `inputs`, `antibot`, `counts`, `grouping` with the pure `campaigns`,
`tracking`, `errors`; `forms` and `views` are the web edge.
"""
