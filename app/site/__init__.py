"""Pages about the site itself: the accessibility statement, how to contact the team, the favicon."""
