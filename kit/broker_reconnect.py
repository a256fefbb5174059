"""nameko's consumers retry a lost RabbitMQ every 2 s at first, then 2 s longer each time.

kombu's ConsumerMixin calls `ensure_connection` with its defaults (interval_start=2,
interval_step=2, interval_max=30), so a RabbitMQ down for 45 s left every service's RPC and event
consumer sleeping up to 12 s more after the broker was back (seen: 14:21:15.9 "Retrying in 12.0
seconds", broker up at 14:21:16.1, consumers back at 14:21:28), and after a 2-minute outage up to
30 s: the restart story's "healed after" exceeded its 30 s. Here the retries start at 0.5 s and
stay at most RETRY_MAX_S apart: one connection attempt per process every few seconds costs the
broker nothing. Imported by kit.sidedoor, i.e. by every service.
"""
from contextlib import contextmanager

from nameko.messaging import QueueConsumer

RETRY_START_S = 0.5
RETRY_STEP_S = 0.5
RETRY_MAX_S = 3.0


@contextmanager
def _establish_connection(self):
    with self.create_connection() as conn:
        conn.ensure_connection(self.on_connection_error, self.connect_max_retries,
                               interval_start=RETRY_START_S, interval_step=RETRY_STEP_S,
                               interval_max=RETRY_MAX_S)
        yield conn


QueueConsumer.establish_connection = _establish_connection
