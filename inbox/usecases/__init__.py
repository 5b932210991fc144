"""Use cases: orchestrate the domain and the decision engines through ports."""
