"""How failed logins are held back: the policy, and one attempt as the store counted it.

Two limits, both counted before the password is checked, so that concurrent attempts cannot
all slip through:

- per e-mail and address: `per_address` attempts in a `window`; more wait for the window's
  end. A success clears the count. A stranger's failures never lock the person out of the
  addresses they use, only the stranger's own.
- per e-mail, for addresses the person has not logged in from lately (`own_address_for`):
  `free_per_email` attempts in a window, then one at a time, `first_delay` apart, doubling up
  to `longest_delay`. Guessing from many addresses slows down; the person, from an address
  of theirs, is never held back by it, and from a new one is slowed, not locked out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class LoginThrottle:
    window: timedelta = timedelta(minutes=15)
    per_address: int = 5
    free_per_email: int = 10
    first_delay: timedelta = timedelta(seconds=1)
    longest_delay: timedelta = timedelta(minutes=1)
    own_address_for: timedelta = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """`number` (1 to `per_address`) when the password may be checked; None when the attempt
    is refused, with `try_again_at`, the time the refusing limit next lets one through."""

    number: int | None
    try_again_at: datetime | None = None
