"""The Meta connector: Facebook Page and Instagram comments pushed by Graph webhooks."""
