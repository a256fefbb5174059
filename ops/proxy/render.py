"""Render ops/proxy/nginx.conf.template: ${NAME} placeholders only (nginx's $vars stay).

    python -m ops.proxy.render GATEWAY_UPSTREAM=127.0.0.1:8080 TLS_CERT=/etc/ssl/aarya.pem \\
        TLS_KEY=/etc/ssl/aarya.key > /etc/nginx/conf.d/aarya.conf

Unset names take DEFAULTS; a placeholder with no value at all is an error, not an empty string.
"""
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
DEFAULTS = {
    "SERVER_NAME": "_",
    "HTTP_PORT": "80",
    "HTTPS_PORT": "443",
    "API_RATE_PER_S": "20",
    "API_BURST": "40",
    "CONN_PER_IP": "50",
}
_PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def render(values, template=TEMPLATE):
    merged = {**DEFAULTS, **{k: str(v) for k, v in values.items()}}
    text = Path(template).read_text()
    missing = sorted(set(_PLACEHOLDER.findall(text)) - set(merged))
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    return _PLACEHOLDER.sub(lambda m: merged[m.group(1)], text)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        values = dict(arg.split("=", 1) for arg in argv)
        sys.stdout.write(render(values))
    except (ValueError, KeyError) as exc:
        print(f"{exc}\n{__doc__}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
