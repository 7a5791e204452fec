"""A phone on mobile data: the first visit to a product page costs under 50 KB, compressed,
and the next page fetches no stylesheet or script again (not even to ask if it changed)."""

from __future__ import annotations

import re

from playwright.sync_api import Browser

BUDGET = 50 * 1024
PHONE = {"width": 390, "height": 844}


def _static_hits(log_text: str) -> int:
    return len(re.findall(r'"GET /static/', log_text))


def test_a_first_product_page_is_under_50_kb_and_the_next_page_fetches_no_static_file(
        browser: Browser, base_url: str, live_server):
    context = browser.new_context(base_url=base_url, viewport=PHONE, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    fetched: list[tuple[str, int, str]] = []
    page.on("requestfinished", lambda r: fetched.append(
        (r.url, r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"],
         (r.response().headers.get("content-encoding", "") if r.response() else ""))))
    try:
        page.goto("/p/ceylon-black-tea-leaves", wait_until="networkidle")
        page.mouse.wheel(0, 2000)  # what a shopper scrolls to (lazy pictures) counts too
        page.wait_for_load_state("networkidle")

        total = sum(size for _, size, _ in fetched)
        listing = "\n".join(f"{size:>7} {enc or '-':5} {url}" for url, size, enc in fetched)
        print(f"\nfirst visit to a product page: {total:,} bytes\n{listing}")
        assert total < BUDGET, f"{total:,} bytes > {BUDGET:,}:\n{listing}"
        text = [(u, e) for u, _, e in fetched if re.search(r"(/p/|\.css|\.js)", u)]
        assert all(e in ("br", "gzip") for _, e in text), f"sent uncompressed: {text}"

        before = _static_hits(live_server.log_path.read_text())
        page.goto("/products", wait_until="networkidle")
        after = _static_hits(live_server.log_path.read_text())
        assert after == before, "the second page asked for static files again"
    finally:
        context.close()
