"""docs/operations.md is the pool's coverage of botocore's cognito-idp model, regenerated."""

from __future__ import annotations

from pathlib import Path

import botocore.session

from loadtest.pool.coverage import render, unexplained

_PAGE = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def _model_operations() -> list[str]:
    model = botocore.session.get_session().get_service_model("cognito-idp")
    return list(model.operation_names)


def test_every_operation_not_served_has_a_reason() -> None:
    assert unexplained(_model_operations()) == []


def test_the_operations_page_matches_the_model_and_the_pool() -> None:
    expected = render(_model_operations())
    assert _PAGE.read_text() == expected, (
        "docs/operations.md is stale: python -m loadtest.pool.coverage > docs/operations.md"
    )
