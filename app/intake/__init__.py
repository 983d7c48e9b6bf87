"""Staff intake of offline submissions: post, email, phone and hui, one at a time or imported from a table."""
