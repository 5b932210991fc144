"""Pure routing decisions: classification, assignment, outage signals."""
