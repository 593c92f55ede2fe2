"""Live delivery to browsers: the per-process fan-out hub and SSE streams."""
