"""dbt vars given on the command line (`--vars`, YAML or JSON as dbt takes them), checked before anything runs.

A name the project does not define is refused with the list of those it does (the `vars:` of dbt_project.yml),
and a value with the wrong kind for its default there (a whole number, a number, true/false, text, or a mapping
with the same keys) is refused naming the var: a typo fails at once instead of after the raw validation or half a
build. What SQL reads as a name, a code or a date is checked again when dbt starts (macro check_sql_vars).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import yaml


class VarsError(ValueError):
    """The `--vars` text cannot be used; the message names the var and what it must be."""


def parse_vars(text: str) -> dict[str, object]:
    """The mapping a `--vars` text holds (YAML, so JSON too; empty text is no vars), as dbt reads it."""
    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise VarsError(f"not YAML or JSON ({' '.join(str(error).split())}); write e.g. "
                        "'{gross_margin: 0.75, reporting_currency: EUR}'") from None
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise VarsError(f"expected a mapping of var names to values, e.g. '{{gross_margin: 0.75}}'; got {text!r}")
    return {str(name): value for name, value in values.items()}


def _kind(default: object) -> str:
    """What a value must be, going by the var's default."""
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "a whole number"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, str):
        return "text"
    if isinstance(default, Mapping):
        return "a mapping"
    return "any value"


def _fits(value: object, default: object, *, whole: bool = True) -> bool:
    """Whether `value` has the kind of `default` (a whole-number default takes any number when not `whole`)."""
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return number and (isinstance(value, int) or not (whole and isinstance(default, int)))
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, Mapping):
        return isinstance(value, Mapping)
    return True


_KIND_OF_VALUE = {bool: "true or false", int: "a whole number", float: "a number", str: "text", dict: "a mapping"}


def _shown(value: object) -> str:
    """A value as given, and what YAML read it as."""
    return f"{value!r} ({_KIND_OF_VALUE.get(type(value), type(value).__name__)})"


def _check_mapping(name: str, value: Mapping, default: Mapping) -> None:
    """A mapping var replaces its default whole, so it names the same keys, each with a value of the same kind."""
    missing = [key for key in default if key not in value]
    unknown = [str(key) for key in value if key not in default]
    if missing or unknown:
        raise VarsError(
            f"dbt var {name} must name each of {', '.join(map(str, default))}"
            + (f"; missing {', '.join(map(str, missing))}" if missing else "")
            + (f"; unknown {', '.join(unknown)}" if unknown else "")
        )
    for key, item in value.items():
        if not _fits(item, default[key], whole=False):
            kind = "a number" if isinstance(default[key], (int, float)) else _kind(default[key])
            raise VarsError(f"dbt var {name}: {key} must be {kind}, got {_shown(item)}")


def check_vars(values: Mapping[str, object], defaults: Mapping[str, object], set_by_options: Mapping[str, str]) -> None:
    """Refuse unknown names, vars this command sets from its own options, and values of the wrong kind."""
    for name, value in values.items():
        if name in set_by_options:
            raise VarsError(f"dbt var {name} is set by this command: {set_by_options[name]}")
        if name not in defaults:
            close = difflib.get_close_matches(name, list(defaults), n=1)
            raise VarsError(
                f"unknown dbt var {name!r}" + (f" (did you mean {close[0]}?)" if close else "")
                + f"; the project's vars (dbt_project.yml): {', '.join(sorted(defaults))}"
            )
        default = defaults[name]
        if not _fits(value, default):
            raise VarsError(f"dbt var {name} must be {_kind(default)} like its default in dbt_project.yml "
                            f"({default!r}), got {_shown(value)}")
        if isinstance(default, Mapping):
            _check_mapping(name, value, default)  # type: ignore[arg-type]
