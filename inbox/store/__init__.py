"""The PostgreSQL adapter: the only place that holds SQL and turns rows into models."""
