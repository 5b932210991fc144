"""The Mastodon connector: mention notifications over REST and the user stream, replies."""
