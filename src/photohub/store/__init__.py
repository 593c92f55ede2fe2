"""Persistence: SQLAlchemy Core schema, the engine, and queries per aggregate."""
