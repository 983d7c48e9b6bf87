"""Engagement events: hui, workshops and meetings of a consultation, and their "what we heard" summaries."""
