"""Make static/vendor/pico.kade.min.css: Pico CSS without the rules Kade's pages cannot use.

    python scripts/trim_pico.py              # fetches @picocss/pico with `npm pack`
    python scripts/trim_pico.py --source pico.min.css

Pico's full build is 83 KB; a page uses a fraction of it. A rule goes when one of its
selectors' own parts can match nothing Kade renders:
- the dark theme (every page says data-theme="light"), right-to-left and shadow-DOM rules;
- a class, element, input type or role that appears in no template, script or Python file
  of ours (a word anywhere counts as used: the trim errs on keeping);
- @keyframes no kept rule animates, and custom properties (--pico-*) nothing reads.
What sits inside :is(), :where(), :not() and :has() is not judged (those are alternatives or
conditions), so a rule kept for any reason keeps its whole selector.

Run it again after adding a Pico component (a modal, a tooltip) to a template, and look at
the pages; commit the new file with the template.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "vendor" / "pico.kade.min.css"
PACKAGE = "@picocss/pico@2.1.1"
SOURCE_SHA256 = "fbc9a63fc9fc9f72d12fd7fc9806e11fa9f77ae4f9cad146b27003a1119ba3db"

# Selectors that can never match a Kade page, whatever the templates hold: as written (the
# dark theme's media query asks for no data-theme at all), and in the selector's own parts
# (":root:not([data-theme=dark])" is the light theme, and stays).
NEVER_WRITTEN = (":not([data-theme])",)
NEVER_OWN = ("[data-theme=dark]", ":host", "[dir=rtl]")
# The <input type> each WTForms field renders.
FIELD_TYPES = {
    "String": "text", "Email": "email", "Password": "password", "Integer": "number",
    "Decimal": "text", "Float": "text", "Boolean": "checkbox", "Radio": "radio",
    "File": "file", "MultipleFile": "file", "Date": "date", "DateTime": "datetime",
    "DateTimeLocal": "datetime-local", "Time": "time", "Month": "month", "Tel": "tel",
    "Search": "search", "URL": "url", "Hidden": "hidden", "Submit": "submit",
    "IntegerRange": "range", "DecimalRange": "range", "Color": "color",
}


# ---- what Kade uses --------------------------------------------------------------------------
def used(root: Path) -> dict[str, set[str]]:
    texts = [p.read_text(encoding="utf-8") for pattern in
             ("templates/**/*.html", "static/js/*.js", "app/**/*.py")
             for p in sorted(root.glob(pattern))]
    corpus = "\n".join(texts)
    words = set(re.findall(r"[A-Za-z_][\w-]*", corpus))
    tags = {t.lower() for t in re.findall(r"<([A-Za-z][\w-]*)", corpus)}
    tags |= {t.lower() for t in re.findall(r"createElement\(['\"](\w+)", corpus)}
    tags |= {"html", "body"}
    types = set(re.findall(r"""type=["']?([\w-]+)""", corpus))
    types |= {FIELD_TYPES[f] for f in re.findall(r"\b(\w+?)Field\(", corpus) if f in FIELD_TYPES}
    types |= {"text", "submit"}  # <input> and <button> defaults
    roles = set(re.findall(r"""role=["']?([\w-]+)""", corpus))
    return {"words": words, "tags": tags, "types": types, "roles": roles}


# ---- a small CSS reader (enough for a minified stylesheet) ---------------------------------------
def _scan(text: str, i: int, stop: str) -> int:
    """Index of the first `stop` character at depth 0 from i, skipping strings, () and []."""
    depth, quote = 0, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif depth == 0 and c in stop:
            return i
        i += 1
    return len(text)


def _block_end(text: str, i: int) -> int:
    """Index just past the `}` closing the block whose `{` is at i."""
    depth, quote, j = 0, None, i
    while j < len(text):
        c = text[j]
        if quote:
            if c == "\\":
                j += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise ValueError("unbalanced braces")


def parse(text: str) -> list[tuple]:
    """[("comment", text) | ("at", prelude, body-or-None) | ("rule", selectors, body)]."""
    nodes, i = [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text.startswith("/*", i):
            end = text.index("*/", i) + 2
            nodes.append(("comment", text[i:end]))
            i = end
        else:
            brace = _scan(text, i, "{;")
            prelude = text[i:brace].strip()
            if brace < len(text) and text[brace] == ";":  # @charset "UTF-8";
                nodes.append(("at", prelude, None))
                i = brace + 1
                continue
            end = _block_end(text, brace)
            body = text[brace + 1:end - 1]
            if prelude.startswith("@"):
                nested = prelude.startswith(("@media", "@supports", "@layer", "@container"))
                nodes.append(("at", prelude, parse(body) if nested else body))
            else:
                nodes.append(("rule", prelude, body))
            i = end
    return nodes


def split_top(text: str, sep: str) -> list[str]:
    parts, i = [], 0
    while i <= len(text):
        j = _scan(text, i, sep)
        parts.append(text[i:j])
        i = j + 1
    return [p for p in parts if p.strip()]


# ---- deciding ---------------------------------------------------------------------------------
def _strip_functions(selector: str) -> str:
    """The selector without the arguments of :is() :where() :not() :has() (and ::part())."""
    out, i = [], 0
    while i < len(selector):
        m = re.match(r"::?[\w-]+\(", selector[i:])
        if m:
            depth, j = 1, i + m.end()
            while j < len(selector) and depth:
                depth += {"(": 1, ")": -1}.get(selector[j], 0)
                j += 1
            out.append(m.group()[:-1])
            i = j
        else:
            out.append(selector[i])
            i += 1
    return "".join(out)


def selector_can_match(selector: str, use: dict[str, set[str]]) -> bool:
    own = _strip_functions(selector)
    if any(n in selector for n in NEVER_WRITTEN) or any(n in own for n in NEVER_OWN):
        return False
    for name, value in re.findall(r"\[([\w-]+)(?:[~|^$*]?=\"?([^\]\"]*)\"?)?\]", own):
        if name == "type" and value and value not in use["types"]:
            return False
        if name == "role" and value and value not in use["roles"]:
            return False
        if name not in use["words"] and name not in ("type", "role"):
            return False
    bare = re.sub(r"\[[^\]]*\]", "", own)
    bare = re.sub(r"::?[\w-]+", "", bare)
    if any(c not in use["words"] for c in re.findall(r"\.([\w-]+)", bare)):
        return False
    tags = re.findall(r"(?:^|[\s>+~(,])([a-zA-Z][\w-]*)", bare)
    return all(t.lower() in use["tags"] for t in tags)


def trim(nodes: list[tuple], use) -> list[tuple]:
    kept = []
    for node in nodes:
        if node[0] == "rule":
            selectors = [s for s in split_top(node[1], ",") if selector_can_match(s.strip(), use)]
            if selectors:
                kept.append(("rule", ",".join(selectors), node[2]))
        elif node[0] == "at" and isinstance(node[2], list):
            inner = trim(node[2], use)
            if any(n[0] != "comment" for n in inner):
                kept.append(("at", node[1], inner))
        else:
            kept.append(node)
    return kept


def _walk_bodies(nodes):
    for node in nodes:
        if node[0] == "rule":
            yield node[2]
        elif node[0] == "at" and isinstance(node[2], list):
            yield from _walk_bodies(node[2])
        elif node[0] == "at" and isinstance(node[2], str):
            yield node[2]


def drop_unused(nodes: list[tuple], also_read: str) -> list[tuple]:
    """Without @keyframes nothing animates and --custom properties nothing reads."""
    bodies = "\n".join(_walk_bodies(nodes)) + also_read
    animations = set(re.findall(r"animation(?:-name)?:[^;}]*?([\w-]+)", bodies))
    animations |= set(re.findall(r"animation:\s*([\w-]+)", bodies))
    read = set(re.findall(r"var\((--[\w-]+)", bodies))

    def clean(body: str) -> str:
        decls = split_top(body, ";")
        return ";".join(d for d in decls
                        if not d.strip().startswith("--") or d.split(":", 1)[0].strip() in read)

    out = []
    for node in nodes:
        if node[0] == "rule":
            body = clean(node[2])
            if body.strip():
                out.append(("rule", node[1], body))
        elif node[0] == "at" and node[1].startswith("@keyframes"):
            if node[1].split()[-1] in bodies:
                out.append(node)
        elif node[0] == "at" and isinstance(node[2], list):
            inner = drop_unused(node[2], also_read)
            if inner:
                out.append(("at", node[1], inner))
        else:
            out.append(node)
    return out


def write(nodes: list[tuple]) -> str:
    parts = []
    for node in nodes:
        if node[0] == "comment":
            parts.append(node[1])
        elif node[0] == "rule":
            parts.append(f"{node[1]}{{{node[2]}}}")
        elif node[2] is None:
            parts.append(f"{node[1]};")
        elif isinstance(node[2], list):
            parts.append(f"{node[1]}{{{write(node[2])}}}")
        else:
            parts.append(f"{node[1]}{{{node[2]}}}")
    return "".join(parts)


def fetch_source() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True,  # noqa: S603, S607
                       stdout=subprocess.DEVNULL)
        tgz = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tgz) as tar:
            data = tar.extractfile("package/css/pico.min.css").read()
    if hashlib.sha256(data).hexdigest() != SOURCE_SHA256:
        sys.exit(f"{PACKAGE}: css/pico.min.css is not the file this script was written for")
    return data.decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="pico.min.css (default: npm pack)")
    args = parser.parse_args()
    source = args.source.read_text(encoding="utf-8") if args.source else fetch_source()
    use = used(ROOT)
    kade_css = (ROOT / "static" / "css" / "kade.css").read_text(encoding="utf-8")
    nodes = drop_unused(trim(parse(source), use), kade_css)
    # @charset must come first; the note follows it.
    charset = [n for n in nodes if n[0] == "at" and n[1].startswith("@charset")]
    rest = [n for n in nodes if n not in charset]
    note = (f"/* {PACKAGE} css/pico.min.css, trimmed to what Kade uses by "
            "scripts/trim_pico.py: do not edit, run the script. */")
    OUT.write_text(write(charset) + note + write(rest) + "\n", encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(source):,} → {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
