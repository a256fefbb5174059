"""Redis commands a route adds to the request's one round trip: the rate limiter's pipeline.

Every limited request already makes one pipelined trip before the view runs (ratelimit.py:
counters plus the token's revocation check). A route whose answer is mostly a Redis read (a
cached product) rides along instead of making a trip of its own:

    @round_trip.rides_with("catalog.get_product")
    def product_lookup(pipe, view_args):
        pipe.hmget(...); pipe.get(...)          # commands added to the limiter's pipeline
        return lambda replies: (...)            # turns their replies into what the view needs

    found = round_trip.answer()   # in the view: that value, or None when no trip carried it
                                  # (limits off, path exempt, Redis down): then ask yourself

The limiter calls `add_to(pipe)` after its own commands and `take(results)` on what the
pipeline returned, which hands it back its own replies only; nothing else of it changes.
"""
from flask import g, request

_RIDERS = {}   # endpoint -> rider(pipe, view_args) -> parse(replies)


def rides_with(endpoint):
    def register(rider):
        _RIDERS[endpoint] = rider
        return rider
    return register


class Ride:
    __slots__ = ("start", "parse")

    def __init__(self, start, parse):
        self.start, self.parse = start, parse

    def take(self, results):
        """The limiter's own replies; ours are parsed and kept for the view."""
        if self.parse is None:
            return results
        g.round_trip_answer = self.parse(results[self.start:])
        return results[:self.start]


NOTHING = Ride(0, None)


def add_to(pipe):
    """Add this request's route's commands (if it has a rider) after the limiter's."""
    rider = _RIDERS.get(request.endpoint)
    if rider is None:
        return NOTHING
    start = len(pipe)
    return Ride(start, rider(pipe, request.view_args or {}))


def answer():
    return g.get("round_trip_answer")
