"""ops/nginx/kade.conf run by a real nginx, with the file's ports and folders swapped for a
test's own: what ships is what is tested."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ops.servers import ROOT, free_port, stop

CONF = ROOT / "ops" / "nginx" / "kade.conf"


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                      else None)
    if found is None:
        pytest.fail("nginx is not installed: `scripts/services.sh ops-tools` installs it "
                    "(make test does)")
    return found


def render(folder: Path, *, web_ports: list[int], staff_port: int, port: int) -> Path:
    """kade.conf with its listen port, upstreams (one storefront server per web port, as
    for more app nodes) and folders replaced; each must be found exactly once, so a change
    to the shipped file cannot slip past the test."""
    text = CONF.read_text()
    web_server = re.search(r"^\s*server 127\.0\.0\.1:8000 .*$", text, re.M)
    assert web_server, f"no storefront server line in {CONF}"
    swaps = {
        "listen 80;": f"listen 127.0.0.1:{port};",
        web_server.group(0): "\n".join(web_server.group(0).replace(":8000 ", f":{web} ")
                                       for web in web_ports),
        "server 127.0.0.1:8001 ": f"server 127.0.0.1:{staff_port} ",
        "alias /srv/kade/current/static/;": f"alias {ROOT / 'static'}/;",
        "proxy_cache_path /var/cache/nginx/kade-media ": f"proxy_cache_path {folder / 'cache'} ",
    }
    for old, new in swaps.items():
        assert text.count(old) == 1, f"{old!r} is not in {CONF} once"
        text = text.replace(old, new)
    site = folder / "kade.conf"
    site.write_text(text)
    main = folder / "nginx.conf"
    main.write_text(f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
daemon off;
pid {folder / 'nginx.pid'};
error_log {folder / 'error.log'} warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder / 'access.log'};
    client_body_temp_path {folder / 'body'};
    proxy_temp_path {folder / 'proxy'};
    fastcgi_temp_path {folder / 'fastcgi'};
    uwsgi_temp_path {folder / 'uwsgi'};
    scgi_temp_path {folder / 'scgi'};
    include {site};
}}
""")
    return main


@contextlib.contextmanager
def nginx(folder: Path, *, web_ports: list[int], staff_port: int) -> Iterator[str]:
    """nginx in front of the pools until the block ends; yields its base URL. A staff port
    nothing listens on is a back office that is down."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    main = render(folder, web_ports=web_ports, staff_port=staff_port, port=port)
    binary = nginx_binary()
    checked = subprocess.run([binary, "-t", "-p", str(folder), "-c", str(main)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([binary, "-p", str(folder), "-c", str(main)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{base}/static/unavailable.html", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not start:\n{(folder / 'error.log').read_text()}")
                time.sleep(0.1)
        yield base
    finally:
        stop(process)
