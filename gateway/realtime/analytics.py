"""Live counts for /ws/analytics: events per type and orders per minute, counted from the tail,
plus the analytics service's live figures (sales today and this minute, orders, visitors).

Every gateway process reads every event, so each one counts the same numbers from the moment it
started; minutes come from the stream entry ids (the time Redis stored the event), so processes
agree on the buckets too. Sales and visitors are the analytics service's aggregates in Redis
(kit/analytics_live.py): read as they are, once a second while a staff socket listens, never
recomputed here.
"""
import time
from collections import Counter
from datetime import datetime, timezone

from gateway.realtime.messages import entry_ms
from kit import analytics_live

KEEP_MINUTES = 60
SHOWN_MINUTES = 5
ORDER_PLACED = "order.created"


def _minute_iso(minute):
    return datetime.fromtimestamp(minute * 60, timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


class LiveCounts:
    def __init__(self):
        self.started_at = time.time()
        self.minutes = {}              # minute number → Counter(event type)
        self.version = 0               # bumps on every counted event and figures change
        self.figures = {}              # the analytics service's live figures (Redis)

    def refresh(self, redis):
        """Read the live figures from Redis; a change counts as something to push."""
        figures = analytics_live.snapshot(redis)
        if figures != self.figures:
            self.figures = figures
            self.version += 1

    def count(self, entry_id, event_type):
        minute = entry_ms(entry_id) // 60000
        counter = self.minutes.get(minute)
        if counter is None:
            counter = self.minutes[minute] = Counter()
            while len(self.minutes) > KEEP_MINUTES:
                del self.minutes[min(self.minutes)]
        counter[event_type] += 1
        self.version += 1

    def snapshot(self, shown=SHOWN_MINUTES):
        now_minute = int(time.time() // 60)
        minutes = []
        for minute in range(now_minute - shown + 1, now_minute + 1):
            counter = self.minutes.get(minute, Counter())
            minutes.append({"minute": _minute_iso(minute), "orders": counter[ORDER_PLACED],
                            "events": sum(counter.values()), "by_type": dict(counter)})
        return {"type": "analytics", "counting_since": datetime.fromtimestamp(
                    self.started_at, timezone.utc).isoformat(timespec="seconds"),
                "minutes": minutes, "live": self.figures}
