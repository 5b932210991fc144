"""Adapters to the networks: each turns a network's payloads into mentions and back."""
