"""Configuration errors: one :class:`ConfigError` carrying every :class:`ConfigProblem`.

Validation never stops at the first problem (behaviour.md B53, after jub0bs/cors config.go, which
accumulates errors "so as to call errors.Join at most once"): users fix a config in one go.
Every message follows one grammar: ``crossorigin: <reason> <field> <value>; <how to fix>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Reason = Literal["missing", "invalid", "prohibited", "forbidden", "incompatible"]


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem found in a configuration.

    ``reason`` is from a closed vocabulary so that callers can branch on it without parsing
    text: ``forbidden`` means the Fetch standard disallows the value, ``prohibited`` means
    crossorigin does (for safety), ``incompatible`` means two settings contradict each other.

    .. versionadded:: 0.1
    """

    field: str
    value: object
    reason: Reason
    message: str

    def __str__(self) -> str:
        return self.message


def problem(
    field: str, value: object, reason: Reason, what: str, fix: str = "", *, entry: bool = False
) -> ConfigProblem:
    """Build a :class:`ConfigProblem` whose message follows the house error grammar.

    *entry* says that *value* is one element of the list *field* ("allow_origins entry ...");
    ``ConfigProblem.field`` is always the field's own name.
    """
    thing = f"{field} entry" if entry else field
    text = f"crossorigin: {reason} {thing} {value!r}: {what}"
    if fix:
        text += f"; {fix}"
    return ConfigProblem(field=field, value=value, reason=reason, message=text)


class ConfigError(ValueError):
    """Raised once, at construction, with every problem of a configuration.

    Attributes:
        problems: the problems found, in field order.

    .. versionadded:: 0.1
    """

    problems: tuple[ConfigProblem, ...]

    def __init__(self, problems: tuple[ConfigProblem, ...] | list[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the CORS configuration:"
        super().__init__("\n".join([head, *(f"  - {p.message}" for p in self.problems)]))
