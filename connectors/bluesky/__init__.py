"""The Bluesky (AT Protocol) connector: notifications in, replies out, over XRPC on aiohttp."""
