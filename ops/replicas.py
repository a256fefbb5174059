"""Replica names: replica 1 of a process is `orders`, replica i ≥ 2 is `orders.i`."""


def replica_name(name, replica):
    """`orders`, 2 → `orders.2`; replica 1 keeps the plain name."""
    return name if replica == 1 else f"{name}.{replica}"


def split_replica(name):
    """`orders.2` → ("orders", 2); `orders` → ("orders", 1)."""
    base, dot, tail = name.rpartition(".")
    if dot and tail.isdigit():
        return base, int(tail)
    return name, 1
