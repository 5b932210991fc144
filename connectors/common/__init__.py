"""What the network connectors share: API errors and retries, channel health, the account loop."""
