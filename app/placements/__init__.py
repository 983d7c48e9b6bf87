"""Where each comment sits in later versions: carried forward on publish, followed through versions, and
confirmed or re-placed by a drafter when re-anchoring was not sure."""
