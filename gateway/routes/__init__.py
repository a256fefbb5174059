"""One blueprint per area of the API, one module per area: every module here that defines `bp`
is registered by gateway.app (ALL_BLUEPRINTS). A new area is a new module, nothing else."""
import importlib
import pkgutil

from flask import Blueprint


def _discover():
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        bp = getattr(module, "bp", None)
        if isinstance(bp, Blueprint):
            found.append(bp)
    return tuple(found)


ALL_BLUEPRINTS = _discover()
