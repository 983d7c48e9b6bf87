"""Public comments on clauses: posting, replies, receipts, campaigns, visibility."""
