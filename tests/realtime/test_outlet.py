"""The hub's direct writes (gateway/realtime/outlet.py) on real socket pairs: a client that reads
gets every frame whole and in order without its greenlet ever waking; one that stops reading
never gets a frame cut by another writer, and its backlog grows until the hub drops it."""
import gevent
from gevent import socket
from gevent.lock import Semaphore

from gateway.realtime import messages
from gateway.realtime.hub import SLOW_CONSUMER, Hub, Subscriber
from gateway.realtime.outlet import Outlet
from gateway.realtime.tail import StreamReader


def event(n, size=10):
    return messages.EventMessage(f"{n}-0", {"type": "product.inventory.updated", "id": f"e{n}",
                                            "occurred_at": "2026-12-03T00:00:00Z"},
                                 {"n": n, "pad": "x" * size})


def read_exactly(sock, length, timeout=5):
    data = b""
    with gevent.Timeout(timeout):
        while len(data) < length:
            data += sock.recv(65536)
    return data


def test_a_reading_client_gets_whole_frames_from_the_hub_without_waking_its_greenlet():
    ours, theirs = socket.socketpair()
    hub = Hub()
    sub = Subscriber("ws:inventory", 8)
    hub.add(sub, [("inventory", 1)])
    hub.attach(sub, Outlet(ours, messages.WS))
    sent = [event(n) for n in range(5)]
    for message in sent:
        hub.dispatch([(("inventory", 1), message)])
    hub.flush()
    expected = b"".join(m.frame(messages.WS) for m in sent)
    assert read_exactly(theirs, len(expected)) == expected
    assert not sub.outlet.wake.is_set() and sub.outlet.backlog == 0
    # The frame is a plain text frame around the same JSON every client gets.
    frame = sent[0].frame(messages.WS)
    payload = sent[0].json.encode()
    assert frame[0] == 0x81 and frame[1] == 126 and int.from_bytes(frame[2:4], "big") == len(
        payload) and frame[4:] == payload
    assert sent[0].frame(messages.WS) is frame  # encoded once, shared


def test_a_client_that_stops_reading_keeps_its_frames_whole_then_is_dropped():
    ours, theirs = socket.socketpair()
    lock = Semaphore()
    hub = Hub(drop_grace_s=0.1)
    sub = Subscriber("ws:inventory", 20)
    hub.add(sub, [("inventory", 1)])
    outlet = Outlet(ours, messages.WS, lock=lock)
    hub.attach(sub, outlet)
    sent = []
    for n in range(200):  # 64 KiB each: the socket buffers fill after a few
        message = event(n, size=65536)
        hub.dispatch([(("inventory", 1), message)])
        hub.flush()
        if sub.dropped is not None:
            break
        sent.append(message)
        # Nobody else may write while a frame is half out: the lock stays taken.
        assert not (outlet.rest and not lock.locked())
    assert sub.dropped == SLOW_CONSUMER and hub.listeners(("inventory", 1)) == 0
    # The connection's greenlet finishes the frame it had begun, then stops; the reader gets
    # only whole frames, in order, and nothing after the drop.
    finishing = gevent.spawn(outlet.drain)
    got = b""
    with gevent.Timeout(10):
        while True:
            theirs.settimeout(0.5)
            try:
                chunk = theirs.recv(1 << 20)
            except socket.timeout:
                if finishing.dead:
                    break
                continue
            if not chunk:
                break
            got += chunk
    finishing.get()
    assert not lock.locked()
    frames = [m.frame(messages.WS) for m in sent]
    whole = b""
    for frame in frames:
        if len(whole) + len(frame) > len(got):
            break
        whole += frame
    assert got == whole and len(whole) > 0


def test_the_reader_reads_each_stream_from_the_oldest_position_any_follower_has():
    class F:
        def __init__(self, positions):
            self.positions = positions
    behind, ahead = F({"product_events": "5-0"}), F({"product_events": "9-1", "order_events": "3-0"})
    assert StreamReader._from([ahead, behind]) == {"product_events": "5-0", "order_events": "3-0"}
