"""Cleanup of local log files and Elasticsearch indices, fit for cron.

Curator-style: filters (pure planning) are kept apart from the actions that delete.
"""
