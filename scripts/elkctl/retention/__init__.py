"""Retention of the stack's indices: the delete phase of its ILM policies."""
