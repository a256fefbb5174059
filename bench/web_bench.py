"""The storefront's JavaScript weight: gzipped kB of the scripts each page loads, from the build.

    python bench/web_bench.py [--budget-kb 200] [--page product]

Reads web/out (built by `bash ops/web.sh build`, which this runs first: a no-op while web/ is
unchanged). A page's scripts are every `/_next/static/….js` its HTML names (script tags and
preloads: the first load, before any client-side navigation), less the `noModule` polyfills
that a modern browser never fetches (counted apart). Each file is gzipped at level 9,
as a server would send it. Exits 1 if the product page is over the budget (issue 12: 200 kB).
"""
import argparse
import gzip
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "web" / "out"
PAGES = ("index", "catalog", "product", "cart", "checkout", "order")
SCRIPT = re.compile(r"""["'](/_next/static/[^"'?#]+?\.js)["']""")
NOMODULE = re.compile(r"""<script[^>]*src="(/_next/static/[^"]+?\.js)"[^>]*noModule""", re.I)


def page_scripts(page):
    """(scripts a modern browser loads, noModule polyfills) named by the page's HTML."""
    html_file = OUT / ("index.html" if page == "index" else f"{page}/index.html")
    html = html_file.read_text()
    legacy = set(NOMODULE.findall(html))
    return sorted(set(SCRIPT.findall(html)) - legacy), sorted(legacy)


def gzipped(path):
    return len(gzip.compress((OUT / path.lstrip("/")).read_bytes(), compresslevel=9))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget-kb", type=float, default=200.0)
    parser.add_argument("--page", default="product")
    args = parser.parse_args(argv)
    subprocess.run(["bash", str(ROOT / "ops" / "web.sh"), "build"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    print(f"{'page':<10} {'scripts':>7} {'raw kB':>8} {'gzip kB':>8} {'nomodule gzip kB':>17}")
    figures = {}
    for page in PAGES:
        scripts, legacy = page_scripts(page)
        raw = sum((OUT / s.lstrip("/")).stat().st_size for s in scripts) / 1000
        gz = sum(gzipped(s) for s in scripts) / 1000
        figures[page] = gz
        print(f"{page:<10} {len(scripts):>7} {raw:>8.1f} {gz:>8.1f} "
              f"{sum(gzipped(s) for s in legacy) / 1000:>17.1f}")
    verdict = "within" if figures[args.page] <= args.budget_kb else "OVER"
    print(f"{args.page} page JS: {figures[args.page]:.1f} kB gzipped, {verdict} the "
          f"{args.budget_kb:.0f} kB budget")
    return 0 if verdict == "within" else 1


if __name__ == "__main__":
    sys.exit(main())
