"""Make config/test<N>.yaml: a private copy of the test env for a second checkout or a helper.

    python -m ops.testenv 3        # writes config/test3.yaml (git-ignored) from config/test.yaml
    AARYA_TEST_ENV=test3 AARYA_ENV=test3 .venv/bin/pytest tests/search

Everything that two suites would fight over moves: databases `*_db_test` → `*_db_test3`, the vhost
and every other `aarya_test` name (index prefixes, buckets) → `aarya_test3`, Redis db 1 → 3,
loopback ports 81xx → 83xx. Re-run it after editing config/test.yaml; then `ops/servers.sh start`
creates the new databases and vhost.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def derive(text, n):
    text = re.sub(r"\baarya_test\b", f"aarya_test{n}", text)
    text = re.sub(r"_db_test\b", f"_db_test{n}", text)
    text = re.sub(r"(redis://[^}\s]*:6379/)1\b", rf"\g<1>{n}", text)
    return re.sub(r"\b81(\d\d)\b", rf"8{n}\1", text)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not argv[0].isdigit() or not 2 <= int(argv[0]) <= 9:
        print(__doc__)
        return 2
    n = int(argv[0])
    target = ROOT / "config" / f"test{n}.yaml"
    target.write_text(derive((ROOT / "config" / "test.yaml").read_text(), n))
    print(f"wrote {target.relative_to(ROOT)}; now `bash ops/servers.sh start` (creates its DBs and vhost)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
