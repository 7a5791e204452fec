"""Staff's page text as safe HTML: a small Markdown subset, and nothing else.

What staff may write: paragraphs (a blank line between them; a single line break stays a
break), headings (`## Delivery`, `### Returns`), lists (lines starting with `- `, `* ` or
`1. `), **bold**, and links `[text](address)` to https://, http://, mailto:, tel: or a path of
this site (`/account/privacy`). Everything else is text: every character staff type is
escaped, so no HTML, script or style from the editor ever reaches a page.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_HEADING = re.compile(r"^(#{2,3})\s+(.+)$")
_BULLET = re.compile(r"^[-*•]\s+(.+)$")
_NUMBERED = re.compile(r"^\d{1,3}[.)]\s+(.+)$")
_INLINE = re.compile(r"\*\*(?P<bold>[^*\n]{1,500}?)\*\*"
                     r"|\[(?P<text>[^\]\n]{1,200})\]\((?P<href>[^)\s]{1,500})\)")
_SAFE_HREF = re.compile(r"^(?:https?://[^\s\"'<>]+|mailto:[^\s\"'<>:/]+@[^\s\"'<>/]+"
                        r"|tel:\+?[0-9 ()-]{3,24}|/(?!/)[^\s\"'<>]*)$", re.IGNORECASE)


def safe_href(href: str) -> bool:
    return bool(_SAFE_HREF.match(href))


def _inline(text: str) -> str:
    out, last = [], 0
    for match in _INLINE.finditer(text):
        out.append(str(escape(text[last:match.start()])))
        if match.group("bold") is not None:
            out.append(f"<strong>{escape(match.group('bold'))}</strong>")
        elif safe_href(match.group("href")):
            href = match.group("href")
            outside = href.lower().startswith(("http://", "https://"))
            rel = ' rel="noopener noreferrer"' if outside else ""
            out.append(f'<a href="{escape(href)}"{rel}>{escape(match.group("text"))}</a>')
        else:  # javascript:, data: … stay the text they were
            out.append(str(escape(match.group(0))))
        last = match.end()
    out.append(str(escape(text[last:])))
    return "".join(out)


def to_html(text: str | None) -> Markup:
    """The HTML of staff's text (see the module's note). Always safe to put in a page."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def end_paragraph():
        if paragraph:
            blocks.append("<p>" + "<br>\n".join(paragraph) + "</p>")
            paragraph.clear()

    def end_list():
        nonlocal list_tag
        if items:
            blocks.append(f"<{list_tag}>" + "".join(f"<li>{i}</li>" for i in items)
                          + f"</{list_tag}>")
            items.clear()
        list_tag = ""

    for raw in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            end_paragraph()
            end_list()
            continue
        heading = _HEADING.match(line)
        if heading:
            end_paragraph()
            end_list()
            level = len(heading.group(1))
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            continue
        bullet, numbered = _BULLET.match(line), _NUMBERED.match(line)
        if bullet or numbered:
            end_paragraph()
            tag = "ul" if bullet else "ol"
            if list_tag and list_tag != tag:
                end_list()
            list_tag = tag
            items.append(_inline((bullet or numbered).group(1)))
            continue
        end_list()
        paragraph.append(_inline(line))
    end_paragraph()
    end_list()
    # Every piece of staff text in `blocks` went through escape() (`_inline`); the tags
    # around them are ours.
    return Markup("\n".join(blocks))  # noqa: S704
