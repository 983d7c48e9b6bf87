"""Whole-version submissions: free text, answers to the version's questions, attachments, consent to publish."""
