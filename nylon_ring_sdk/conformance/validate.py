"""A small JSON Schema validator: enough of draft 2020-12 for ``report.schema.json``.

The package has no jsonschema dependency and needs none for one schema it writes
itself. Supported keywords: type, enum, const, properties, required,
additionalProperties, items, minimum, exclusiveMinimum, maximum, minLength,
pattern, $ref (local ``#/$defs/...``); annotations ($schema, $id, title,
description) are ignored. An unknown keyword is an error, so the schema cannot
silently ask for something this validator does not check.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .report import SCHEMA_PATH

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description"}


def validate(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Every way `instance` breaks `schema`, as `path: problem` lines (empty when valid)."""
    errors: list[str] = []
    _check(instance, schema, schema, "$", errors)
    return errors


def validate_report(data: dict[str, Any]) -> list[str]:
    """Validate a report's JSON form against the schema shipped with the package."""
    return validate(data, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _check(value: Any, schema: dict[str, Any], root: dict[str, Any], path: str, errors: list[str]) -> None:
    for keyword, rule in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        handler = _KEYWORDS.get(keyword)
        if handler is None:
            raise ValueError(f"schema keyword {keyword!r} at {path} is not supported by this validator")
        handler(value, rule, schema, root, path, errors)


def _type(value, rule, schema, root, path, errors) -> None:
    names = rule if isinstance(rule, list) else [rule]
    if not any(_TYPES[name](value) for name in names):
        errors.append(f"{path}: expected {' or '.join(names)}, got {type(value).__name__}")


def _enum(value, rule, schema, root, path, errors) -> None:
    if not any(value == option and type(value) is type(option) for option in rule):
        errors.append(f"{path}: {value!r} is not one of {rule!r}")


def _const(value, rule, schema, root, path, errors) -> None:
    if value != rule:
        errors.append(f"{path}: expected {rule!r}, got {value!r}")


def _properties(value, rule, schema, root, path, errors) -> None:
    if isinstance(value, dict):
        for name, sub in rule.items():
            if name in value:
                _check(value[name], sub, root, f"{path}.{name}", errors)


def _required(value, rule, schema, root, path, errors) -> None:
    if isinstance(value, dict):
        errors.extend(f"{path}: missing required property {name!r}" for name in rule if name not in value)


def _additional(value, rule, schema, root, path, errors) -> None:
    if not isinstance(value, dict):
        return
    extra = [k for k in value if k not in schema.get("properties", {})]
    for name in extra:
        if rule is False:
            errors.append(f"{path}: unexpected property {name!r}")
        elif isinstance(rule, dict):
            _check(value[name], rule, root, f"{path}.{name}", errors)


def _items(value, rule, schema, root, path, errors) -> None:
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check(item, rule, root, f"{path}[{i}]", errors)


def _bound(compare, words: str):
    def check(value, rule, schema, root, path, errors) -> None:
        if _TYPES["number"](value) and not compare(value, rule):
            errors.append(f"{path}: {value!r} is not {words} {rule!r}")
    return check


def _min_length(value, rule, schema, root, path, errors) -> None:
    if isinstance(value, str) and len(value) < rule:
        errors.append(f"{path}: shorter than {rule} character(s)")


def _pattern(value, rule, schema, root, path, errors) -> None:
    if isinstance(value, str) and not re.search(rule, value):
        errors.append(f"{path}: {value[:60]!r} does not match {rule!r}")


def _ref(value, rule, schema, root, path, errors) -> None:
    if not rule.startswith("#/"):
        raise ValueError(f"only local $ref is supported (got {rule!r} at {path})")
    target: Any = root
    for part in rule[2:].split("/"):
        target = target[part]
    _check(value, target, root, path, errors)


_KEYWORDS = {
    "type": _type, "enum": _enum, "const": _const, "properties": _properties, "required": _required,
    "additionalProperties": _additional, "items": _items, "minLength": _min_length, "pattern": _pattern,
    "$ref": _ref, "minimum": _bound(lambda v, r: v >= r, "at least"),
    "exclusiveMinimum": _bound(lambda v, r: v > r, "above"), "maximum": _bound(lambda v, r: v <= r, "at most"),
}
