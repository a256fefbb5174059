"""One `_bulk` request for the index writes of many concurrent stream workers.

Each stream entry runs as its own nameko worker; a worker hands its actions to `submit()` and
waits. The first action of an empty batch starts a short window (SEARCH.bulk_window_ms); when
it ends, or when the batch is full, one `_bulk` request goes out and every waiting worker gets
its own items' results. A worker whose items failed raises, so its entry stays pending and is
retried by the stream consumer (every write here is an idempotent full-document index or
delete, so a retry converges).
"""
import logging

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider

from services.search.settings import SearchSettings

log = logging.getLogger(__name__)


class BulkFailed(Exception):
    pass


class _Batch:
    def __init__(self):
        self.lines = []       # the _bulk body, two entries per index, one per delete
        self.owners = []      # per action: (event, slot)
        self.refresh = False


class BulkWriter:
    def __init__(self, client, settings):
        self.client = client.options(request_timeout=settings.admin_timeout_s)
        self.window_s = settings.bulk_window_ms / 1000.0
        self.max_actions = settings.bulk_max_actions
        self._batch = None

    def submit(self, actions, refresh=False):
        """actions: [("index", index, id, doc) | ("delete", index, id, None)]; blocks until
        written. refresh=True waits until the writes are searchable."""
        if not actions:
            return []
        done = Event()
        results = [None] * len(actions)
        batch = self._batch
        if batch is None:
            batch = self._batch = _Batch()
            eventlet.spawn_after(self.window_s, self._flush, batch)
        for slot, (op, index, doc_id, doc) in enumerate(actions):
            batch.lines.append({op: {"_index": index, "_id": str(doc_id)}})
            if op == "index":
                batch.lines.append(doc)
            elif op == "update":
                batch.lines.append({"doc": doc})
            batch.owners.append((results, slot, done))
        batch.refresh = batch.refresh or refresh
        if len(batch.owners) >= self.max_actions:
            self._flush(batch)
        done.wait()
        failed = [r for r in results if r is not None and r.get("error")
                  and not _harmless(r)]
        if failed:
            raise BulkFailed(f"{len(failed)} bulk action(s) failed: {failed[0]['error']}")
        return results

    def _flush(self, batch):
        if self._batch is batch:
            self._batch = None
        if not batch.owners or getattr(batch, "sent", False):
            return
        batch.sent = True
        waiters = {id(done): done for _, _, done in batch.owners}
        try:
            reply = self.client.bulk(operations=batch.lines,
                                     refresh="wait_for" if batch.refresh else False)
            for (results, slot, _), item in zip(batch.owners, reply["items"]):
                results[slot] = next(iter(item.values()))
        except Exception as exc:  # every owner fails and retries its entry
            log.warning("bulk of %d actions failed: %r", len(batch.owners), exc)
            for results, slot, _ in batch.owners:
                results[slot] = {"error": repr(exc)}
        for done in waiters.values():
            done.send(True)


def _harmless(result):
    """A delete or partial update of a document that is not there is what we wanted anyway."""
    return result.get("status") == 404


class Bulk(DependencyProvider):
    def setup(self):
        from services.search.engine import make_client
        settings = SearchSettings.from_config(self.container.config)
        self.writer = BulkWriter(make_client(self.container.config, settings), settings)

    def get_dependency(self, worker_ctx):
        return self.writer
