"""Pure logic, no I/O: privacy decisions, photo views, validation rules."""
