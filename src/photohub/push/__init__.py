"""The push hub's network side: verifying callbacks (and, later, delivering to them)."""
