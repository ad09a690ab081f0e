"""Validation and normalisation of every ``CORSConfig`` field (conformance items 48-51).

Each checker appends :class:`ConfigProblem` s instead of raising, so one construction reports
every problem. Messages follow the house grammar and always say how to fix the problem.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from crossorigin._config import protection as _protect
from crossorigin._errors import ConfigProblem, problem
from crossorigin._grammar import headers as _headers
from crossorigin._grammar import methods as _methods
from crossorigin._grammar import regex as _regex
from crossorigin._grammar.origins import (
    Origin,
    OriginPattern,
    PatternError,
    parse_origin,
    parse_pattern,
)

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

    from crossorigin._config.fields import ConfigFields

MAX_AGE_LIMIT = 86400
"""Firefox's cap, the highest of any browser (Chromium caps at 7200 s, WebKit at 600 s)."""


def validate(config: ConfigFields, problems: list[ConfigProblem]) -> dict[str, Any]:
    """Check every field of *config*, append problems, and return the normalised fields."""
    out: dict[str, Any] = {}
    for name in (
        "allow_credentials",
        "allow_private_network",
        "debug",
        "dangerously_allow_insecure_origins",
        "dangerously_allow_public_suffix_wildcards",
        "dangerously_allow_backtracking_regex",
        "protect_writes",
        "protect_websockets",
        "allow_stored_origins",
    ):
        _check_bool(name, getattr(config, name), problems)
    origins = _strings("allow_origins", config.allow_origins, problems, "'https://app.example'")
    methods = _strings("allow_methods", config.allow_methods, problems, "'PUT'")
    headers = _strings("allow_headers", config.allow_headers, problems, "'x-api-key'")
    exposed = _strings("expose_headers", config.expose_headers, problems, "'x-total-count'")
    patterns = _check_origins(config, origins, problems)
    out["allow_origins"] = tuple(sorted(set(origins)))
    out["allow_methods"] = _check_methods(methods, problems)
    out["allow_headers"] = _check_request_headers(headers, problems)
    out["expose_headers"] = _check_exposed(config, exposed, problems)
    out["allow_origin_regex"] = _check_regex(config, patterns, problems)
    _check_predicate(config, problems)
    _check_numbers(config, problems)
    paths = _strings(
        "protection_exempt_paths", config.protection_exempt_paths, problems, "'/webhooks/stripe'"
    )
    out.update(_protect.check_config(config, paths, problems))
    return out


def _check_bool(name: str, value: object, problems: list[ConfigProblem]) -> None:
    if not isinstance(value, bool):
        problems.append(problem(name, value, "invalid", "must be True or False"))


def _strings(name: str, value: object, problems: list[ConfigProblem], example: str) -> list[str]:
    if isinstance(value, str):
        # Starlette would iterate the characters or search substrings: never what was meant.
        items = [item.strip() for item in value.split(",") if item.strip()]
        problems.append(
            problem(
                name,
                value,
                "invalid",
                "must be a list of strings, not a single string",
                f"write {items!r}" if items else f"write a list, e.g. [{example}]",
            )
        )
        return items  # still checked, so their own problems are reported in the same error
    if not isinstance(value, Collection):
        problems.append(problem(name, value, "invalid", f"must be a list, e.g. [{example}]"))
        return []
    good = []
    for item in value:
        if isinstance(item, str):
            good.append(item)
        else:
            problems.append(problem(name, item, "invalid", "must be a string", entry=True))
    return good


def _check_origins(
    config: ConfigFields, origins: list[str], problems: list[ConfigProblem]
) -> list[OriginPattern]:
    patterns: list[OriginPattern] = []
    for text in origins:
        try:
            patterns.append(parse_pattern(text))
        except PatternError as exc:
            problems.append(
                problem("allow_origins", text, exc.reason, exc.what, exc.fix, entry=True)
            )
    credentials = config.allow_credentials is True
    if any(p.kind == "any" for p in patterns):
        if credentials:
            problems.append(
                problem(
                    "allow_origins",
                    "*",
                    "incompatible",
                    "'*' with allow_credentials=True would let every site read responses with the"
                    " user's cookies",
                    "list the trusted origins explicitly, or set allow_credentials=False",
                )
            )
        if len(origins) > 1:
            problems.append(
                problem(
                    "allow_origins",
                    tuple(origins),
                    "incompatible",
                    "'*' already allows every origin",
                    "use ['*'] alone or remove '*'",
                )
            )
        if config.allow_private_network is True:
            problems.append(
                problem(
                    "allow_private_network",
                    True,
                    "incompatible",
                    "private network access cannot be granted to every origin",
                    "list the trusted origins explicitly",
                )
            )
        if config.allow_stored_origins is True:
            problems.append(
                problem(
                    "allow_stored_origins",
                    True,
                    "incompatible",
                    "allow_origins=['*'] already allows every origin",
                    "remove it, or list the static origins explicitly",
                )
            )
    elif (
        not origins
        and config.allow_origin_regex is None
        and config.allow_origin_predicate is None
        # The store supplies the origins (possibly none yet).
        and config.allow_stored_origins is not True
        # A protection-only config (no cross-origin frontend) is complete without origins.
        and config.protect_writes is not True
        and config.protect_websockets is not True
    ):
        problems.append(
            problem(
                "allow_origins",
                tuple(origins),
                "missing",
                "no origin is allowed",
                "list the origins of your frontends, e.g. allow_origins=['https://app.example.com'],"
                " or ['*'] for a public API",
            )
        )
    if credentials:
        _check_credentialed_patterns(config, patterns, problems)
    return patterns


def _check_credentialed_patterns(
    config: ConfigFields, patterns: list[OriginPattern], problems: list[ConfigProblem]
) -> None:
    for pattern in patterns:
        shown = _show(pattern)
        if (
            pattern.scheme == "http"
            and not pattern.is_loopback
            and config.dangerously_allow_insecure_origins is not True
        ):
            problems.append(
                problem(
                    "allow_origins",
                    shown,
                    "prohibited",
                    "with credentials, a plain-http origin lets network attackers read responses",
                    "use https, or set dangerously_allow_insecure_origins=True",
                    entry=True,
                )
            )
        if (
            pattern.kind == "subdomains"
            # Subdomains of localhost are the local machine's own (RFC 6761 §6.3).
            and not pattern.is_loopback
            and _is_public_suffix(pattern.host)
            and config.dangerously_allow_public_suffix_wildcards is not True
        ):
            problems.append(
                problem(
                    "allow_origins",
                    shown,
                    "prohibited",
                    f"{pattern.host!r} is a public suffix: anyone can register a subdomain of it",
                    "list the exact origins, or set dangerously_allow_public_suffix_wildcards=True",
                    entry=True,
                )
            )


def _show(pattern: OriginPattern) -> str:
    host = ("*." if pattern.kind == "subdomains" else "") + pattern.host
    port = {None: "", -1: ":*"}.get(pattern.port, f":{pattern.port}")
    return f"{pattern.scheme}://{host}{port}"


def _is_public_suffix(domain: str) -> bool:
    return bool(_public_suffix_list().is_public(domain))


def _check_methods(methods: list[str], problems: list[ConfigProblem]) -> tuple[str, ...]:
    out: set[str] = set()
    for method in methods:
        if method == "*":
            out.add(method)
        elif not _methods.is_token(method):
            problems.append(
                problem(
                    "allow_methods",
                    method,
                    "invalid",
                    "a method is a token such as 'PUT' or 'PATCH'",
                    entry=True,
                )
            )
        elif _methods.is_forbidden(method):
            problems.append(
                problem(
                    "allow_methods",
                    method,
                    "forbidden",
                    "browsers never send CONNECT, TRACE or TRACK",
                    "remove it",
                    entry=True,
                )
            )
        else:
            out.add(_methods.normalize(method))
    if "*" in out and len(out) > 1:
        problems.append(
            problem(
                "allow_methods",
                tuple(methods),
                "incompatible",
                "'*' already allows every method",
                "use ['*'] alone",
            )
        )
    return tuple(sorted(out))


def _names(
    field: str, names: list[str], problems: list[ConfigProblem], check: Callable[[str], str | None]
) -> tuple[str, ...]:
    out: set[str] = set()
    for name in names:
        lower = name.lower()
        if name == "*":
            out.add(name)
        elif not _methods.is_token(name):
            problems.append(
                problem(
                    field,
                    name,
                    "invalid",
                    "a header name is a token such as 'x-api-key'",
                    entry=True,
                )
            )
        elif (why := check(lower)) is not None:
            problems.append(problem(field, name, "forbidden", why, "remove it", entry=True))
        else:
            out.add(lower)
    return tuple(sorted(out))


def _request_name_problem(name: str) -> str | None:
    if _headers.is_forbidden_request(name):
        return "browsers never let scripts set this request header"
    if name in _headers.RESPONSE_ONLY_CORS:
        return "this is a response header; the middleware sets it"
    return None


def _check_request_headers(names: list[str], problems: list[ConfigProblem]) -> tuple[str, ...]:
    return _names("allow_headers", names, problems, _request_name_problem)


def _exposed_name_problem(name: str) -> str | None:
    if name in _headers.FORBIDDEN_RESPONSE:
        return "browsers never expose Set-Cookie to scripts"
    if name in _headers.REQUEST_ONLY_CORS:
        return "this is a request header, never part of a response"
    return None


def _check_exposed(
    config: ConfigFields, names: list[str], problems: list[ConfigProblem]
) -> tuple[str, ...]:
    out = _names("expose_headers", names, problems, _exposed_name_problem)
    if "*" in out and config.allow_credentials is True:
        problems.append(
            problem(
                "expose_headers",
                "*",
                "incompatible",
                "browsers ignore '*' for credentialed requests (it would expose nothing)",
                "list the response headers to expose, e.g. ['x-total-count']",
            )
        )
    return out


def _check_regex(
    config: ConfigFields, patterns: list[OriginPattern], problems: list[ConfigProblem]
) -> re.Pattern[str] | None:
    value = config.allow_origin_regex
    if value is None:
        return None
    if isinstance(value, re.Pattern):
        if not isinstance(value.pattern, str):
            problems.append(
                problem("allow_origin_regex", value, "invalid", "must be a str pattern")
            )
            return None
        compiled = value
    elif not isinstance(value, str):
        problems.append(
            problem(
                "allow_origin_regex", value, "invalid", "must be a string or a compiled re.Pattern"
            )
        )
        return None
    else:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            problems.append(
                problem("allow_origin_regex", value, "invalid", f"does not compile: {exc}")
            )
            return None
    if any(p.kind == "any" for p in patterns):
        problems.append(
            problem(
                "allow_origin_regex",
                value,
                "incompatible",
                "allow_origins=['*'] already allows every origin",
                "remove it",
            )
        )
        return compiled
    _check_regex_safety(config, value, compiled, problems)
    return compiled


_BACKTRACKING = {
    "nested": (
        "a repetition inside a repetition can split the same text in many ways, so some"
        " origins of a few dozen characters take minutes to match (catastrophic backtracking)",
        "make each repeated part start or end with a character its inner repetition cannot"
        " match, e.g. '([a-z0-9-]+\\.)*', use a possessive quantifier ('++'), or set"
        " dangerously_allow_backtracking_regex=True",
    ),
    "chained": (
        "three or more unbounded repetitions can take the same characters, so matching a long"
        " origin takes cubic time or worse",
        "use classes that exclude the separators, e.g. '[a-z0-9-]+' instead of '.*', or set"
        " dangerously_allow_backtracking_regex=True",
    ),
}


def _check_regex_safety(
    config: ConfigFields, value: object, regex: re.Pattern[str], problems: list[ConfigProblem]
) -> None:
    """The checks ``allow_origins`` entries get, applied to what the regex matches.

    A regex cannot be parsed into origin patterns, so it is tested against canary origins:
    random hosts under ``.invalid`` (matching one means matching any origin, like ``*``),
    and, derived from samples of what the regex is written to match, their ``http://``
    variants, their dots replaced by a letter, look-alike registrable domains and siblings
    under their public suffix. Each match is refused with the reason, fix and
    ``dangerously_...`` option of the equivalent ``allow_origins`` entry.
    """
    finding = _regex.backtracking(regex)
    if finding is not None and config.dangerously_allow_backtracking_regex is not True:
        what, fix = _BACKTRACKING[finding.kind]
        problems.append(problem("allow_origin_regex", value, "prohibited", what, fix))
        return  # the canaries would run a regex known to backtrack
    credentials = config.allow_credentials is True
    if not credentials and config.allow_private_network is not True:
        return
    anyone = next((c for c in _random_canaries() if regex.fullmatch(c)), None)
    if anyone is not None:
        if credentials:
            problems.append(
                problem(
                    "allow_origin_regex",
                    value,
                    "incompatible",
                    f"it matches any origin (such as {anyone!r}); with allow_credentials=True"
                    " that would let every site read responses with the user's cookies",
                    "list the trusted origins explicitly, or set allow_credentials=False",
                )
            )
        if config.allow_private_network is True:
            problems.append(
                problem(
                    "allow_private_network",
                    True,
                    "incompatible",
                    "private network access cannot be granted to every origin"
                    f" (allow_origin_regex matches {anyone!r})",
                    "list the trusted origins explicitly",
                )
            )
        return
    if not credentials or finding is not None:
        # A regex allowed to backtrack only meets the short random canaries above: origins
        # derived from its own literals could be long enough to take minutes.
        return
    witnesses = _witnesses(regex)
    for check in (_insecure_variant, _unescaped_dot, _public_suffix_sibling, _look_alike):
        found = check(config, regex, witnesses)
        if found is not None:
            what, fix = found
            problems.append(problem("allow_origin_regex", value, "prohibited", what, fix))


_CANARY_SEED = 20260601
_canaries: tuple[str, ...] = ()


def _random_canaries() -> tuple[str, ...]:
    """Origins no config can mean to trust: random hosts under ``.invalid`` (RFC 6761 §6.4).

    The seed is fixed so that error messages are the same on every run.
    """
    global _canaries
    if not _canaries:
        import random

        rng = random.Random(_CANARY_SEED)
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        labels = ["".join(rng.choice(alphabet) for _ in range(8)) for _ in range(3)]
        _canaries = (
            f"https://{labels[0]}.invalid",
            f"http://{labels[1]}.invalid",
            f"https://{labels[2]}.{labels[0]}.invalid",
            f"https://{labels[1]}.invalid:8443",
        )
    return _canaries


def _canary_label() -> str:
    """A random label (fixed seed) for canary siblings."""
    return _random_canaries()[0][len("https://") :].split(".", 1)[0]


def _witnesses(regex: re.Pattern[str]) -> list[Origin]:
    """Valid origins the regex matches, from samples of what it is written to match."""
    out: list[Origin] = []
    for sample in _regex.samples(regex):
        for text in (sample,) if "://" in sample else (f"https://{sample}", f"http://{sample}"):
            origin = parse_origin(text)
            if origin is not None and origin not in out and regex.fullmatch(text):
                out.append(origin)
    return out


def _serialize(origin: Origin) -> str:
    return f"{origin.scheme}://{origin.host}" + ("" if origin.port is None else f":{origin.port}")


def _is_loopback(origin: Origin) -> bool:
    return OriginPattern("exact", origin.scheme, origin.host, origin.port).is_loopback


Found = tuple[str, str] | None


def _insecure_variant(
    config: ConfigFields, regex: re.Pattern[str], witnesses: list[Origin]
) -> Found:
    if config.dangerously_allow_insecure_origins is True:
        return None
    for witness in witnesses:
        if witness.scheme not in ("http", "https") or _is_loopback(witness):
            continue
        plain = _serialize(witness._replace(scheme="http"))
        if regex.fullmatch(plain):
            fix = "use https, or set dangerously_allow_insecure_origins=True"
            source = regex.pattern
            if "https?://" in source:
                suggestion = source.replace("https?://", "https://", 1)
                fix = f"did you mean {suggestion!r}? Or set dangerously_allow_insecure_origins=True"
            return (
                f"it matches {plain!r}: with credentials, a plain-http origin lets network"
                " attackers read responses",
                fix,
            )
    return None


def _unescaped_dot(config: ConfigFields, regex: re.Pattern[str], witnesses: list[Origin]) -> Found:
    suggestion = _escape_dots(regex.pattern)
    fixed = _compiles(suggestion, regex.flags) if suggestion != regex.pattern else None
    if fixed is None:
        return None  # no bare '.' to blame
    for witness in witnesses:
        text = _serialize(witness)
        if not fixed.fullmatch(text):
            continue
        start = len(witness.scheme) + 3
        for at in range(start, start + len(witness.host)):
            if text[at] != ".":
                continue
            neighbour = text[:at] + "x" + text[at + 1 :]
            if (
                parse_origin(neighbour) is not None
                and regex.fullmatch(neighbour)
                and not fixed.fullmatch(neighbour)
            ):
                return (
                    f"it matches {neighbour!r}: an unescaped '.' matches any character",
                    f"did you mean {suggestion!r}?",
                )
    return None


def _escape_dots(source: str) -> str:
    """*source* with each bare ``.`` that is not repeated written ``\\.``."""
    out: list[str] = []
    escaped = in_class = False
    for index, char in enumerate(source):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "." and source[index + 1 : index + 2] not in ("*", "+", "?", "{"):
            out.append("\\.")
            continue
        out.append(char)
    return "".join(out)


def _compiles(source: str, flags: int) -> re.Pattern[str] | None:
    try:
        return re.compile(source, flags)
    except re.error:
        return None


def _public_suffix_sibling(
    config: ConfigFields, regex: re.Pattern[str], witnesses: list[Origin]
) -> Found:
    if config.dangerously_allow_public_suffix_wildcards is True:
        return None
    label = _canary_label()
    psl = _public_suffix_list()
    for witness in witnesses:
        host = witness.host
        if witness.is_ip or _is_loopback(witness):
            continue
        suffix = psl.publicsuffix(host)
        if not suffix or suffix == host:
            continue
        registrable = psl.privatesuffix(host) or host
        inner = host[: -len(registrable)]  # the labels below the registrable domain
        for sibling_host in (f"{label}.{suffix}", f"{inner}{label}.{suffix}"):
            sibling = _serialize(witness._replace(host=sibling_host))
            if regex.fullmatch(sibling):
                return (
                    f"it matches {sibling!r}: {suffix!r} is a public suffix: anyone can register"
                    " a subdomain of it",
                    "list the exact origins, or set dangerously_allow_public_suffix_wildcards=True",
                )
    return None


def _look_alike(config: ConfigFields, regex: re.Pattern[str], witnesses: list[Origin]) -> Found:
    psl = _public_suffix_list()
    for witness in witnesses:
        host = witness.host
        if witness.is_ip or _is_loopback(witness):
            continue
        registrable = psl.privatesuffix(host)
        if registrable is None:
            continue
        suffix = registrable.split(".", 1)[1]
        if regex.fullmatch(_serialize(witness._replace(host=f"{_canary_label()}.{suffix}"))):
            # Any registrable domain matches: the public-suffix check's business, not a
            # look-alike of one domain.
            continue
        for other in (f"evil-{registrable}", f"evil{registrable}", f"{host}.evil.invalid"):
            candidate = _serialize(witness._replace(host=other))
            if parse_origin(candidate) is not None and regex.fullmatch(candidate):
                anchored = "([a-z0-9-]+\\.)*" + re.escape(registrable)
                return (
                    f"it matches {candidate!r}, which is neither {registrable!r} nor one of its"
                    " subdomains: anyone can register such a look-alike domain",
                    f"match whole labels, e.g. {anchored!r}",
                )
    return None


@functools.cache
def _public_suffix_list() -> PublicSuffixList:
    # Imported lazily and built once: parsing the list costs tens of milliseconds (about 0.1 s
    # on a busy machine); credentialed configs and the origin store's wildcard entries need it.
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def _check_predicate(config: ConfigFields, problems: list[ConfigProblem]) -> None:
    value = config.allow_origin_predicate
    if value is not None and not callable(value):
        problems.append(
            problem(
                "allow_origin_predicate",
                value,
                "invalid",
                "must be a function (origin, scope) -> bool or an async one",
            )
        )
    if value is not None and "*" in config.allow_origins:
        problems.append(
            problem(
                "allow_origin_predicate",
                value,
                "incompatible",
                "allow_origins=['*'] already allows every origin",
                "remove it",
            )
        )


def _check_numbers(config: ConfigFields, problems: list[ConfigProblem]) -> None:
    age = config.max_age
    if age is not None and (
        isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= MAX_AGE_LIMIT
    ):
        problems.append(
            problem(
                "max_age",
                age,
                "invalid",
                f"must be a whole number of seconds from 0 to {MAX_AGE_LIMIT}",
                "use 0 to disable preflight caching, or None to let browsers use 5 s",
            )
        )
    status = config.preflight_status
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 299:
        problems.append(
            problem(
                "preflight_status",
                status,
                "invalid",
                "browsers accept only a 2xx status for a successful preflight",
                "use 204 or 200",
            )
        )
