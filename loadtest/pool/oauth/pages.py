"""The managed-login pages, rendered from Jinja2 templates (``loadtest/pool/templates``).

Autoescape is on and undefined names fail, as for the reports: a value typed into a form can
never become markup.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

__all__ = ["render"]


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("loadtest.pool", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
    )


def render(name: str, **values: Any) -> str:
    """The page ``name`` (without ``.html.j2``) with ``values``."""
    return _environment().get_template(f"{name}.html.j2").render(**values)
