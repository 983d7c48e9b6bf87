"""“You said, we did”: responses to comments and campaign groups."""
