"""The inbox core: domain model, use cases, PostgreSQL store, composition root and CLI."""
