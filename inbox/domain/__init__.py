"""The domain model: plain data and pure rules, no I/O and nothing else of the project."""
