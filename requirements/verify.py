"""Does this environment hold exactly what a lock file says?

    python requirements/verify.py requirements/test.txt            # exit 1 on any difference
    python requirements/verify.py requirements/test.txt --report   # list differences, exit 0

Compares the installed distributions (what ``pip freeze`` lists, and pip, setuptools and
wheel too) with the pins of the lock whose environment markers hold here; the project
itself is left out.
"""

from __future__ import annotations

import sys
from importlib.metadata import distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = "roadshow"


def locked(path: Path) -> dict[str, str]:
    """``name -> version`` of every pin in the lock that applies to this interpreter."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip().rstrip("\\").strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        (specifier,) = requirement.specifier
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def installed() -> dict[str, str]:
    found = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
    found.pop(PROJECT, None)
    return found


def differences(lock: dict[str, str], present: dict[str, str]) -> list[str]:
    lines = []
    for name in sorted(set(lock) | set(present)):
        want, have = lock.get(name), present.get(name)
        if want == have:
            continue
        if want is None:
            lines.append(f"  {name}=={have} is installed but not in the lock")
        elif have is None:
            lines.append(f"  {name}=={want} is in the lock but not installed")
        else:
            lines.append(f"  {name}: lock {want}, installed {have}")
    return lines


def main(argv: list[str]) -> int:
    path = Path(argv[1])
    report_only = "--report" in argv[2:]
    found = differences(locked(path), installed())
    if not found:
        print(f"{sys.prefix} holds exactly {path}.")
        return 0
    print(f"{sys.prefix} differs from {path}:")
    print("\n".join(found))
    if report_only:
        return 0
    print("Remove the environment (make clean) and run the command again.")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
