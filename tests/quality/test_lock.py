"""requirements.lock pins every dependency pyproject.toml declares, at a version pyproject
accepts: a dependency added or re-bounded without `make lock` fails here, not on CI's
fresh install."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and version, f"not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = version
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {}).values()
    return [Requirement(spec) for spec in
            [*project["dependencies"], *(spec for specs in extras for spec in specs)]]


def test_every_declared_dependency_is_pinned_at_a_version_pyproject_accepts():
    pins = _pins()

    wrong = []
    for requirement in _declared():
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None:
            wrong.append(f"{requirement.name}: not in requirements.lock")
        elif not requirement.specifier.contains(pinned, prereleases=True):
            wrong.append(f"{requirement.name}=={pinned}: outside {requirement.specifier}")

    assert not wrong, "run `make lock`:\n" + "\n".join(wrong)
