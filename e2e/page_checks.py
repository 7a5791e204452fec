"""What every page must pass, checked in the browser: unique ids, targets a thumb can hit,
no sideways scroll. Shared by the page walk and the accessibility check."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

MIN_TARGET = 44  # CSS px, each way (WCAG 2.2's 24 px is the floor, not the goal)

# What is not held to 44 x 44, and why. Kept short on purpose: everything else is.
TARGET_EXCEPTIONS = {
    "inline": "a link inside running text (a sentence in a paragraph, a note, a table cell "
              "with other words): WCAG 2.5.8's inline exception; growing it would spread the "
              "lines of the sentence apart",
    "label": "a radio button or tick box is measured by its label, the thing a thumb taps",
}

# Runs in the page. Returns what is wrong, as plain data the test can print.
_CHECK_JS = """
(minTarget) => {
  const ids = new Map();
  for (const el of document.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) || 0) + 1);
  const duplicateIds = [...ids].filter(([, n]) => n > 1).map(([id]) => id);

  const blockOf = (el) => {
    let up = el.parentElement;
    while (up && getComputedStyle(up).display.startsWith('inline')) up = up.parentElement;
    return up;
  };
  const inRunningText = (el) => {
    if (el.tagName !== 'A' || !getComputedStyle(el).display.startsWith('inline')) return false;
    const block = blockOf(el);
    if (!block) return false;
    const own = el.textContent.replace(/\\s+/g, ' ').trim();
    const all = block.textContent.replace(/\\s+/g, ' ').trim();
    return all.length > own.length + 1;
  };
  const describe = (el) => {
    const name = (el.getAttribute('aria-label') || el.textContent || el.value || el.name || '')
      .replace(/\\s+/g, ' ').trim().slice(0, 40);
    const cls = typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls} "${name}"`;
  };

  const small = [];
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  for (const el of document.querySelectorAll(sel)) {
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      target = el.closest('label')
        || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el;
    }
    const box = target.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;       // not shown (closed, hidden)
    if (box.right <= 0 || box.bottom <= 0) continue;          // parked off screen (skip link)
    if (getComputedStyle(target).visibility === 'hidden') continue;
    if (box.width >= minTarget - 0.5 && box.height >= minTarget - 0.5) continue;
    if (inRunningText(el)) continue;
    small.push(`${describe(el)} ${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  // A placeholder must show whole (long Tamil words in a narrow box get cut).
  const cutPlaceholders = [];
  const ctx = document.createElement('canvas').getContext('2d');
  for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    const style = getComputedStyle(el);
    if (!el.offsetWidth || el.value) continue;
    ctx.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const shown = getComputedStyle(el, '::placeholder');
    ctx.font = `${shown.fontStyle} ${shown.fontWeight} ${shown.fontSize} ${shown.fontFamily}`;
    const needs = ctx.measureText(el.placeholder).width;
    if (needs > room + 1) {
      cutPlaceholders.push(
        `${describe(el)} needs ${Math.round(needs)}px, has ${Math.round(room)}px`);
    }
  }
  return {duplicateIds, small, cutPlaceholders, scrollWidth: document.documentElement.scrollWidth,
          width: window.innerWidth};
}
"""


def problems(page: Page) -> list[str]:
    """What is wrong with the page as shown now, one line each (empty: all good)."""
    found = page.evaluate(_CHECK_JS, MIN_TARGET)
    # A phone browser widens its layout to fit a page that is too wide: compare with the
    # screen's width, not the page's.
    found["width"] = page.viewport_size["width"]
    where = f"{page.url} at {found['width']}px"
    out = [f"{where}: duplicate id {i!r}" for i in found["duplicateIds"]]
    out += [f"{where}: under {MIN_TARGET}x{MIN_TARGET}: {s}" for s in found["small"]]
    out += [f"{where}: placeholder cut: {s}" for s in found["cutPlaceholders"]]
    if found["scrollWidth"] > found["width"]:
        out.append(f"{where}: scrolls sideways ({found['scrollWidth']}px wide)")
    return out


def screenshot(page: Page, name: str) -> None:
    """With KADE_SHOTS=<folder> set, keep a full-page picture (to compare before/after)."""
    folder = os.environ.get("KADE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)


def no_sideways_scroll(page: Page) -> None:
    """The page fits its viewport's width: nothing to scroll sideways on a phone."""
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
