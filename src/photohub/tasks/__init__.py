"""The offline task system: a SQL task table (queue.py), a runner, and task definitions."""
