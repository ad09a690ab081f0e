"""The reason codes: one Literal for CORS and protection, and one constant per code."""

from __future__ import annotations

import typing

from crossorigin._policy import reasons


def test_each_code_has_one_constant() -> None:
    """The ReasonCode literal and the module's constants name the same codes, once each."""
    constants = {
        name: value
        for name, value in vars(reasons).items()
        if name.isupper() and isinstance(value, str)
    }
    assert sorted(constants.values()) == sorted(typing.get_args(reasons.ReasonCode))
    assert len(set(constants.values())) == len(constants)
    assert all(value == name.lower() for name, value in constants.items())
