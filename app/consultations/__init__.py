"""Consultations: creating and describing one in the browser, its state on the hub, the living demo."""
