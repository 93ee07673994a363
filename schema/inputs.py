"""Strawberry inputs to the plain mappings the domain validates, under GraphQL names."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from strawberry.types.unset import UNSET
from strawberry.utils.str_converters import to_camel_case


def input_to_dict(value: Any) -> Any:
    """Recursively: input objects to dicts keyed by GraphQL field name; unset fields dropped.

    Keys follow the GraphQL names so that a validation error names the field the caller
    sent (`terms.pricing.rate`), and absent patch fields stay absent.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            to_camel_case(field.name): input_to_dict(item)
            for field in dataclasses.fields(value)
            if (item := getattr(value, field.name)) is not UNSET
        }
    if isinstance(value, list):
        return [input_to_dict(item) for item in value]
    return value


def patch_field(field: str, whole: str) -> Any:
    """A field of a patch input (`SowTermsPatch`): absent unless sent, and described as the
    field `field` of the input `whole` it changes."""
    return strawberry.field(default=UNSET, description=f"The new `{field}` (see {whole}).")
