"""The ports through which use cases reach storage and the decision engines, one module per
aggregate. Adapters (the PostgreSQL store, connectors, the SLA timer) implement them; use cases
depend on nothing else. Import a port from its module (`from inbox.ports.sla import SlaQuery`).
"""
