"""A shopper or a member of staff over real HTTP, as a browser without JavaScript would be:
cookies kept, forms posted with the CSRF token of the page they came from. For the tests
that talk to several servers (pools, nodes) at once, where Flask's test client cannot go."""

from __future__ import annotations

import html
import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

_CSRF = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


@dataclass(frozen=True)
class Answer:
    status: int
    url: str  # after redirects
    text: str
    seconds: float


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies shared across servers of one address (127.0.0.1), as a browser shares them
    across the nodes behind one proxy."""

    def __init__(self, *, follow: bool = True, headers: dict[str, str] | None = None):
        self.headers = dict(headers or {})  # sent with every request (X-Request-ID …)
        self.cookies = http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.cookies)]
        if not follow:
            handlers.append(_NoRedirect())
        self._opener = urllib.request.build_opener(*handlers)

    def get(self, url: str, *, timeout: float = 30) -> Answer:
        return self._open(urllib.request.Request(url, headers=self.headers), timeout)

    def post(self, url: str, data: dict[str, str], *, form_page: str | None = None,
             timeout: float = 30) -> Answer:
        """POST `data` to `url` with the CSRF token of `form_page` (default: `url`)."""
        page = self.get(form_page or url)
        token = _CSRF.search(page.text)
        fields = {**({"csrf_token": html.unescape(token.group(1))} if token else {}), **data}
        body = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={
            **self.headers, "Content-Type": "application/x-www-form-urlencoded",
            "Referer": url})
        return self._open(request, timeout)

    def _open(self, request: urllib.request.Request, timeout: float) -> Answer:
        started = time.perf_counter()
        try:
            with self._opener.open(request, timeout=timeout) as answer:
                text = answer.read().decode(errors="replace")
                return Answer(answer.status, answer.url, text, time.perf_counter() - started)
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            return Answer(error.code, error.url or request.full_url, text,
                          time.perf_counter() - started)
