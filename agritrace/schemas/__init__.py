"""Marshmallow schemas: every request body and query is loaded through one of these."""
