"""Packaging that pyproject.toml cannot say: the top-level ``scenarios/`` ships as
``loadtest.scenarios``.

Everything else (metadata, dependencies, package data) lives in pyproject.toml. setuptools'
``packages.find`` cannot add a package from another folder, so the packages are listed here:
the ones found under ``srp_fast`` and ``loadtest``, plus the mapped one. One copy of each
scenario in git; the checkout, an editable install and the wheel all read it.
"""

from setuptools import find_namespace_packages, setup

setup(
    # namespace discovery, as pyproject's packages.find does: data-only folders such as
    # loadtest/report/templates are packages too
    packages=[
        *find_namespace_packages(include=["srp_fast*", "loadtest*"]),
        "loadtest.scenarios",
        "loadtest.scenarios.triggers",
    ],
    package_dir={
        "loadtest.scenarios": "scenarios",
        "loadtest.scenarios.triggers": "scenarios/triggers",
    },
)
