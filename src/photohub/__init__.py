"""photohub."""
