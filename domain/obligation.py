"""Obligations as SOW terms: what the operator must deliver, how often or on whose request,
and within how many business days. Each delivery is tracked as an occurrence
(`domain.occurrence`); when one is due is `domain.obligation_dates`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, model_validator

from domain.obligation_dates import Recurrence
from domain.values import FieldError, ShortText, Terms, _unique

# What a contract may allow for one delivery (`domain.obligation_dates` bounds far higher).
MAX_DUE_BUSINESS_DAYS = 60
MAX_OBLIGATIONS = 50
MAX_SECTIONS = 30
MAX_HOLIDAYS = 1000

# A key names an obligation across versions (an amendment changing one keeps its key) and
# in `requestObligation`: short, no spaces.
ObligationKey = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$")
]


class ObligationKind(StrEnum):
    """RECURRING: one occurrence per period; ON_REQUEST: one per request of the client."""

    RECURRING = "RECURRING"
    ON_REQUEST = "ON_REQUEST"


def none_is_empty(value: Any) -> Any:
    """A list term sent as null is an empty one (a patch clearing it)."""
    return [] if value is None else value


class Obligation(Terms):
    key: ObligationKey
    title: ShortText
    kind: ObligationKind
    recurrence: Recurrence | None = None
    due_business_days: Annotated[int, Field(ge=0, le=MAX_DUE_BUSINESS_DAYS)]
    sections: (
        Annotated[list[ShortText], Field(max_length=MAX_SECTIONS), AfterValidator(_unique)] | None
    ) = None

    @model_validator(mode="after")
    def _recurrence_fits_kind(self) -> Self:
        if self.kind is ObligationKind.RECURRING and self.recurrence is None:
            raise FieldError("recurrence", "a RECURRING obligation needs a recurrence")
        if self.kind is ObligationKind.ON_REQUEST and self.recurrence is not None:
            raise FieldError("recurrence", "recurrence applies to RECURRING obligations only")
        return self


Obligations = Annotated[
    list[Obligation], BeforeValidator(none_is_empty), Field(max_length=MAX_OBLIGATIONS)
]
Holidays = Annotated[
    list[date],
    BeforeValidator(none_is_empty),
    Field(max_length=MAX_HOLIDAYS),
    AfterValidator(_unique),
]


def check_obligations(
    obligations: list[Obligation], holidays: list[date], go_live: date, end: date
) -> None:
    """Keys unique; holidays within the term (`go_live` to `end`). Raises `FieldError`
    naming the item at fault, relative to the terms."""
    seen: dict[str, int] = {}
    for index, obligation in enumerate(obligations):
        if obligation.key in seen:
            raise FieldError(
                f"obligations[{index}].key",
                f"key {obligation.key} repeats obligations[{seen[obligation.key]}]",
            )
        seen[obligation.key] = index
    for index, holiday in enumerate(holidays):
        if not go_live <= holiday <= end:
            raise FieldError(
                f"holidays[{index}]", "a holiday must fall within goLiveDate to endDate"
            )


def find(obligations: list[Obligation], key: str) -> Obligation | None:
    return next((obligation for obligation in obligations if obligation.key == key), None)
