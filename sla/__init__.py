"""Business calendars, SLA policies and the two clocks."""
