"""Agent requests are rate-limited per machine secret (enrolment per client address): a token bucket
per key, in memory of each server process."""

from __future__ import annotations

import math
import time

from estate.errors import TooManyAttempts


class RateLimiter:
    def __init__(self, per_second: float, burst: float) -> None:
        self.per_second = per_second
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> None:
        now = time.monotonic()
        tokens, then = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.per_second)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            raise TooManyAttempts("too many agent requests; slow down",
                                  retry_after=max(1, math.ceil((1 - tokens) / self.per_second)))
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > 200_000:  # forget keys that have refilled, now and then
            rate, full = self.per_second, self.burst
            self._buckets = {k: v for k, v in self._buckets.items() if v[0] + (now - v[1]) * rate < full}
