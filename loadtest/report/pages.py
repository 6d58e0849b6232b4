"""The Jinja2 environment every page and chart is rendered with.

Templates ship inside the package (``loadtest/report/templates/``); autoescape is on for every
one of them, so a user name, an error message or a pool setting can never become markup, and
undefined names fail loudly instead of rendering as empty text.
"""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

__all__ = ["environment", "render_page"]


@functools.cache
def environment() -> Environment:
    """The one environment (built once per process: it caches compiled templates)."""
    env = Environment(
        loader=PackageLoader("loadtest.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["px"] = _px
    return env


def render_page(template: str, **context: Any) -> str:
    """Render the page template ``template`` with ``context``."""
    return environment().get_template(template).render(**context)


def _px(value: float) -> str:
    """A pixel coordinate: one decimal, no trailing ``.0``."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
