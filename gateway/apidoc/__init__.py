"""OpenAPI parts of newer route areas, one module per area, merged into /api/openapi.json.

A module here may define PATHS (required), SCHEMAS, TAGS (a list of tag names) and
SECURITY_SCHEMES; gateway/openapi.py merges every module it finds, so adding an area touches
no shared file. The helpers of gateway/openapi.py (operation, ref, _query, ...) are imported
from there.
"""
import importlib
import pkgutil


def parts():
    """Every area module of this package, in name order."""
    return [importlib.import_module(f"{__name__}.{info.name}")
            for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)]
