"""Lighthouse on the demo shop, run by hand (not part of the test suite): see bench/README.md.

    .venv/bin/python bench/lighthouse.py                  # home, a category, a product
    .venv/bin/python bench/lighthouse.py --page /search?q=tea --runs 3

Starts Kade on a fresh SQLite database seeded with the demo shop (as `make run` would), runs
Lighthouse's mobile preset (a mid-range phone on a throttled 4G line, simulated) against
each page, and prints the four category scores, what cost points, and PASS or FAIL against
the issue's target of 95 in each. Lighthouse comes from npm, installed once into
~/.cache/kade-lighthouse (`--lighthouse DIR` for another place); Chromium is Debian's
(CHROME_PATH, default /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 95
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PAGES = ("/", "/c/groceries", "/p/ceylon-black-tea-leaves")
LIGHTHOUSE = "lighthouse@12"
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run --disable-quic")
KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")


def _lighthouse_cli(folder: Path) -> Path:
    cli = folder / "node_modules" / "lighthouse" / "cli" / "index.js"
    if not cli.exists():
        print(f"installing {LIGHTHOUSE} into {folder} ...", flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund",  # noqa: S603, S607
                        LIGHTHOUSE], check=True)
    return cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_shop(tmp: Path) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if k in KEEP}
    env.update(DATABASE_URL=f"sqlite:///{tmp / 'shop.db'}", KADE_INSTANCE_PATH=str(tmp / "i"),
               KADE_OUTBOX_DIR=str(tmp / "outbox"), KADE_ENV="development")
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for step in (("db", "upgrade"), ("seed", "demo")):
        subprocess.run([*flask, *step], cwd=ROOT, env=env, check=True,  # noqa: S603
                       capture_output=True)
    port = _free_port()
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen([*flask, "run", "--port", str(port), "--no-reload",  # noqa: S603
                               "--no-debugger", "--with-threads"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 — ours
                return server, url
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"the shop did not start: see {tmp / 'server.log'}")


def _run(cli: Path, url: str, out: Path, tries: int = 3) -> dict:
    """One Lighthouse run; tried again when Chromium gives up (it can, on a busy machine)."""
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    for attempt in range(1, tries + 1):
        done = subprocess.run(["node", str(cli), url, "--output=json",  # noqa: S603, S607
                               f"--output-path={out}", f"--chrome-flags={CHROME_FLAGS}",
                               "--quiet", f"--only-categories={','.join(CATEGORIES)}"],
                              env=env, capture_output=True, text=True)
        if done.returncode == 0:
            return json.loads(out.read_text())
        print(f"    lighthouse failed on {url} (try {attempt}): {done.stderr.strip()[-300:]}")
    raise SystemExit(f"lighthouse kept failing on {url}")


def _lost_points(report: dict) -> list[str]:
    """The audits that cost points, per category (performance: its metrics)."""
    lines = []
    audits = report["audits"]
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            audit = audits[ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 0.9:
                shown = audit.get("displayValue", "")
                lines.append(f"    {name}: {audit['title']} ({audit['score']:.2f}) {shown}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", action="append", help="a path (repeatable)")
    parser.add_argument("--runs", type=int, default=1, help="runs per page (median kept)")
    parser.add_argument("--keep", type=Path, help="a folder to keep the JSON reports in")
    parser.add_argument("--lighthouse", type=Path,
                        default=Path.home() / ".cache" / "kade-lighthouse")
    args = parser.parse_args()
    cli = _lighthouse_cli(args.lighthouse)
    failed = False
    with tempfile.TemporaryDirectory(prefix="kade-lighthouse-") as folder:
        tmp = Path(folder)
        server, base = _start_shop(tmp)
        try:
            print(f"{'page':32} " + " ".join(f"{c:>14}" for c in CATEGORIES))
            for path in args.page or PAGES:
                runs = [_run(cli, base + path, tmp / f"report-{i}.json")
                        for i in range(args.runs)]
                scores = {c: statistics.median(round(r["categories"][c]["score"] * 100)
                                               for r in runs) for c in CATEGORIES}
                ok = all(s >= TARGET for s in scores.values())
                failed |= not ok
                print(f"{path:32} " + " ".join(f"{scores[c]:>14}" for c in CATEGORIES)
                      + ("  PASS" if ok else "  FAIL"))
                for line in _lost_points(runs[-1]):
                    print(line)
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    name = path.strip("/").replace("/", "-").replace("?", "-") or "home"
                    (args.keep / f"{name}.json").write_text(json.dumps(runs[-1]))
        finally:
            server.terminate()
            server.wait(timeout=10)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
