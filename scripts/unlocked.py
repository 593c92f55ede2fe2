"""Prints the installed distributions that a lock file does not name (space-separated),
leaving out the installer's own and photohub: ``scripts/install-test-deps`` removes them.

Usage: python scripts/unlocked.py requirements/test.txt
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

KEEP = {"pip", "setuptools", "wheel", "photohub"}
PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", re.MULTILINE)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def unlocked(lock_text: str) -> list[str]:
    locked = {canonical(name) for name in PINNED.findall(lock_text)} | KEEP
    installed = {canonical(d.metadata["Name"]) for d in metadata.distributions()}
    return sorted(installed - locked)


if __name__ == "__main__":
    print(" ".join(unlocked(Path(sys.argv[1]).read_text(encoding="utf-8"))))
