"""The build step that makes a wheel complete: metadata lives in setup.cfg.

A wheel must run without this checkout and without ``make``, so ``build_py`` adds what
the package reads at run time but keeps beside it in the source tree:

- the compiled translations (``.mo``, from the ``.po`` catalogues in
  ``roadshow/**/translations``), without which English pages and mail would be German;
- ``templates/``, ``emails/`` and ``migrations/``, copied into the package, where
  ``roadshow.config.resource_folder`` finds them.

Editable installs (``pip install -e .``) use the checkout itself; ``make translations``
compiles its catalogues in place.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
RESOURCE_FOLDERS = ("templates", "emails", "migrations")


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        package = Path(self.build_lib) / "roadshow"
        for catalogue in (HERE / "roadshow").glob("**/translations/*/LC_MESSAGES/*.po"):
            target = package / catalogue.relative_to(HERE / "roadshow").with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with catalogue.open("rb") as source:
                messages = read_po(source)
            with target.open("wb") as compiled:
                write_mo(compiled, messages)
        for name in RESOURCE_FOLDERS:
            shutil.copytree(
                HERE / name,
                package / name,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "README.md"),
            )


setup(cmdclass={"build_py": BuildWithResources})
