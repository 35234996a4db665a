"""Moderation toolkit: built in the moderation issue."""
