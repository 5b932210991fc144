"""Webhooks: events posted out of the inbox to receivers the workspace subscribed."""
