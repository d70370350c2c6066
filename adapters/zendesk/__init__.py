"""Zendesk: signed webhooks in, comments read through zenpy, tags and notes out."""
