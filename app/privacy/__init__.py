"""Privacy: the privacy notice, data export and account deletion."""
