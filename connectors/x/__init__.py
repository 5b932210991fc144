"""The X connector: API v2 pages into mentions."""
