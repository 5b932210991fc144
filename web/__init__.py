"""The HTTP face of the inbox: JSON API, pages, live updates."""
