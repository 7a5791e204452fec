"""Every setting the code reads is declared in app/config.py, where it is read from the
environment and documented: a setting read only with a default in the code that uses it
(as PAYMENT_REMINDER_HOURS once was) cannot be set by anyone and is listed nowhere."""

import ast
import re
from pathlib import Path

import pytest
from flask import Flask

from app import config as settings

ROOT = Path(__file__).resolve().parents[2]
# Jinja: `config.X`, `config["X"]`, `config.get("X")`.
_TEMPLATE_READ = re.compile(r"""\bconfig(?:\.get\(\s*|\[\s*|\.)["']?([A-Z][A-Z0-9_]*)""")


def _is_config(node: ast.expr) -> bool:
    """`config`, `app.config`, `current_app.config`, `self.config`, ..."""
    return (isinstance(node, ast.Name) and node.id == "config") or (
        isinstance(node, ast.Attribute) and node.attr == "config")


def _key(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def settings_read(source: str) -> list[tuple[str, int]]:
    """(name, line) of each setting read: `config["X"]`, `config.get("X", ...)` and
    `"X" in config`, on any object's `config`. Writes (`app.config["X"] = ...`) are not reads."""
    found = []
    for node in ast.walk(ast.parse(source)):
        key = None
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_config(
                node.value):
            key = _key(node.slice)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "get" and _is_config(node.func.value) and node.args):
            key = _key(node.args[0])
        elif (isinstance(node, ast.Compare) and len(node.ops) == 1
              and isinstance(node.ops[0], ast.In | ast.NotIn) and _is_config(node.comparators[0])):
            key = _key(node.left)
        if key:
            found.append((key, node.lineno))
    return found


@pytest.mark.parametrize(("source", "expected"), [
    ('current_app.config["PAYMENT_REMINDER_HOURS"]', ["PAYMENT_REMINDER_HOURS"]),
    ('current_app.config.get("PAYMENT_REMINDER_HOURS", 24)', ["PAYMENT_REMINDER_HOURS"]),
    ('config.get("MEDIA_URL")', ["MEDIA_URL"]),
    ('app.config["X"] = 1', []),
    ('"X" in app.config', ["X"]),
    ('os.environ.get("X")', []),
    ('config[name]', []),
])
def test_settings_read_are_found_and_writes_ignored(source, expected):
    assert [name for name, _ in settings_read(source)] == expected


def test_every_setting_read_is_declared_in_app_config(tmp_path, monkeypatch):
    """In app/, jobs/ and the templates."""
    monkeypatch.setenv("KADE_INSTANCE_PATH", str(tmp_path))  # it makes development keys
    declared = set(settings.from_environment()) | set(Flask.default_config)
    files = sorted([*(ROOT / "app").rglob("*.py"), *(ROOT / "jobs").rglob("*.py")])

    undeclared = [f"{path.relative_to(ROOT)}:{line}: {name}"
                  for path in files
                  for name, line in settings_read(path.read_text(encoding="utf-8"))
                  if name not in declared]

    for path in sorted(p for p in (ROOT / "templates").rglob("*") if p.is_file()):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            undeclared += [f"{path.relative_to(ROOT)}:{number}: {name}"
                           for name in _TEMPLATE_READ.findall(text) if name not in declared]

    assert files
    assert not undeclared, "read but not declared in app/config.py:\n" + "\n".join(undeclared)


@pytest.mark.parametrize(("line", "expected"), [
    ("{{ config.SHOP_BANK_DETAILS }}", ["SHOP_BANK_DETAILS"]),
    ("{% if config['STAFF_IDLE_MINUTES'] %}", ["STAFF_IDLE_MINUTES"]),
    ('{{ config.get("MAIL_FROM") }}', ["MAIL_FROM"]),
    ("{{ shop_config.x }} {{ config.items() }}", []),
])
def test_template_reads_are_found(line, expected):
    assert _TEMPLATE_READ.findall(line) == expected
