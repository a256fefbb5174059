"""GET /api/openapi.json: the document gateway/openapi.py builds from the schemas, read once."""
from pathlib import Path

from flask import Blueprint, Response

bp = Blueprint("openapi", __name__)

_DOCUMENT = (Path(__file__).parent.parent / "openapi.json").read_bytes()


@bp.get("/api/openapi.json")
def openapi_json():
    return Response(_DOCUMENT, mimetype="application/json")
