"""Instructions a request for catalogue pages, counted by callgrind: run by hand, not in the
test suite (see bench/README.md).

This machine's speed moves from minute to minute (the bare-Flask yardstick of
bench/catalog.py has run between 2 200 and 6 600 req/s in one evening), so a change worth a
few per cent of a page cannot be seen in requests a second or CPU milliseconds. callgrind
counts the instructions the process runs instead: the same count for the same code and data
whatever else the machine does (to within a per cent or two: each request makes its own CSRF
token and nonce). The page runs in this process, as bench/catalog.py --profile runs it, with
production's settings and the database bench/catalog.py loaded (run that once first).

    .venv/bin/python bench/instructions.py                      # the four pages, anonymous
    .venv/bin/python bench/instructions.py --signed-in '/p/{product}'
    .venv/bin/python bench/instructions.py -n 20 '/search?q={broad}'

Needs valgrind (Debian's package). Under it a request runs about fifty times slower: a page
takes 20 to 60 s.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import catalog as bench  # noqa: E402 — after the path is set

PAGES = ["/p/{product}", "/c/{category}", "/search?q={narrow}", "/search?q={broad}"]
WARM_UP = 30  # requests before counting: templates compiled, statements prepared


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", default=PAGES,
                        help="paths; {product} {category} {narrow} {broad} as in catalog.py")
    parser.add_argument("-n", type=int, default=30, help="requests counted a page")
    parser.add_argument("--signed-in", action="store_true",
                        help="as bench/catalog.py's customer, three items in the cart")
    parser.add_argument("--database", default=bench.DATABASE)
    parser.add_argument("--count", metavar="PATH", help=argparse.SUPPRESS)  # under valgrind
    args = parser.parse_args(argv)
    if args.count:
        return _count(args.count, args.n, args.signed_in, args.database)
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is missing: apt-get install -y valgrind")
    for page in args.pages:
        with tempfile.TemporaryDirectory() as work:
            run = subprocess.run(  # noqa: S603 — our own interpreter and script
                [valgrind, "--tool=callgrind", "--instr-atstart=no",
                 f"--callgrind-out-file={work}/callgrind.out", sys.executable, __file__,
                 "--count", page, "-n", str(args.n), "--database", args.database,
                 *(["--signed-in"] if args.signed_in else [])],
                capture_output=True, text=True, check=False)
        counted = re.search(r"Collected : (\d+)", run.stderr)
        if run.returncode != 0 or counted is None:
            print(run.stdout[-2000:], run.stderr[-2000:], file=sys.stderr)
            return 1
        who = "signed in" if args.signed_in else "anonymous"
        print(f"{page:24s} {who:9s} {int(counted.group(1)) / args.n / 1e6:7.2f} M "
              f"instructions a request ({run.stdout.strip()})")
    return 0


def _count(page: str, n: int, signed_in: bool, database: str) -> int:
    """Under valgrind: the page `n` times with callgrind's counting switched on."""
    url = make_url(database)
    values = bench.pick(url)
    path = page.format(**values)
    with tempfile.TemporaryDirectory() as instance:
        os.environ.update(bench.production_env(url, Path(instance), 5000, bench.REDIS))
        os.environ["PAGE_CACHE_SECONDS"] = "0"
        from werkzeug.test import EnvironBuilder

        from app import create_app

        app = create_app()
        import logging

        logging.getLogger("kade.request").setLevel(logging.WARNING)
        headers = {"User-Agent": bench.USER_AGENT}
        if signed_in:
            browser = bench.Browser(bench.in_process(app.test_client(use_cookies=False)))
            bench.sign_in_customer(browser, bench.make_customer(app), values["cart"],
                                   f"/p/{values['product']}")
            headers.update(browser.headers())
        environ = EnvironBuilder(path=path, headers=headers,
                                 base_url="http://127.0.0.1:5000").get_environ()
        statuses = []

        def start_response(status, _headers, _exc_info=None):
            statuses.append(status)

        def one() -> None:
            body = app(dict(environ), start_response)
            for _chunk in body:
                pass
            body.close()

        for _ in range(WARM_UP):
            one()
        if not statuses[-1].startswith("200"):
            raise SystemExit(f"{path} answered {statuses[-1]}")
        callgrind("on")
        for _ in range(n):
            one()
        callgrind("off")
        print(path)
    return 0


def make_url(database: str) -> str:
    return bench.SERVER.rsplit("/", 1)[0] + "/" + database


def callgrind(state: str) -> None:
    """Switch callgrind's counting in this process (it runs under valgrind)."""
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())],  # noqa: S603,S607
                   check=True, capture_output=True)


if __name__ == "__main__":
    raise SystemExit(main())
