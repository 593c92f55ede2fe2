"""Use cases: each change to the site, done in one transaction with its events and tasks."""
