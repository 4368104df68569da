"""elkctl: operate the logging stack (setup, lifecycle, cleanup, health, error triage)."""
