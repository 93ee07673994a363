"""Value types shared by SOW and CSA terms, and the validation every term goes through."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Protocol, Self
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

from domain.currencies import ISO_4217
from domain.errors import BadUserInput


class Channel(StrEnum):
    INBOUND_VOICE = "INBOUND_VOICE"
    OUTBOUND_VOICE = "OUTBOUND_VOICE"
    EMAIL = "EMAIL"
    CHAT = "CHAT"
    SOCIAL = "SOCIAL"


class Weekday(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class PricingUnit(StrEnum):
    PER_HOUR = "PER_HOUR"
    PER_MINUTE = "PER_MINUTE"
    PER_CALL = "PER_CALL"


class SlaMetric(StrEnum):
    SERVICE_LEVEL = "SERVICE_LEVEL"
    AVERAGE_WAIT_TIME = "AVERAGE_WAIT_TIME"
    ABANDONMENT_RATE = "ABANDONMENT_RATE"
    AVERAGE_HANDLE_TIME = "AVERAGE_HANDLE_TIME"
    FIRST_CALL_RESOLUTION = "FIRST_CALL_RESOLUTION"
    CUSTOMER_SATISFACTION = "CUSTOMER_SATISFACTION"


class TargetDirection(StrEnum):
    """Whether a measured value must stay at or above (FLOOR) or at or below (CEILING)."""

    FLOOR = "FLOOR"
    CEILING = "CEILING"


# Percent metrics are 0..100; time metrics are seconds.
PERCENT_METRICS = frozenset(
    {
        SlaMetric.SERVICE_LEVEL,
        SlaMetric.ABANDONMENT_RATE,
        SlaMetric.FIRST_CALL_RESOLUTION,
        SlaMetric.CUSTOMER_SATISFACTION,
    }
)
CEILING_METRICS = frozenset(
    {SlaMetric.AVERAGE_WAIT_TIME, SlaMetric.ABANDONMENT_RATE, SlaMetric.AVERAGE_HANDLE_TIME}
)
MAX_SECONDS_TARGET = 86_400


def direction_of(metric: SlaMetric) -> TargetDirection:
    return TargetDirection.CEILING if metric in CEILING_METRICS else TargetDirection.FLOOR


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# BCP 47 well-formedness: language, optional script, region and variants.
_BCP47 = re.compile(
    r"^[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|\d{3}))?(-([a-zA-Z0-9]{5,8}|\d[a-zA-Z0-9]{3}))*$"
)
_TIME_ZONES = frozenset(available_timezones())


def _time_of_day(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError("must be a time of day HH:MM, 00:00 to 23:59")
    return value


def _time_zone(value: str) -> str:
    if value not in _TIME_ZONES:
        raise ValueError("must be an IANA time zone name, e.g. America/New_York")
    return value


def _language(value: str) -> str:
    if not _BCP47.match(value):
        raise ValueError("must be a BCP 47 language tag, e.g. en-US")
    return value


def _currency(value: str) -> str:
    if value not in ISO_4217:
        raise ValueError("must be an ISO 4217 currency code, e.g. USD")
    return value


class FieldError(ValueError):
    """A check of a whole model that blames one of its fields (`field`, relative to it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _unique[T](values: list[T]) -> list[T]:
    if len(set(values)) != len(values):
        raise ValueError("must not repeat a value")
    return values


ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
TimeOfDay = Annotated[str, AfterValidator(_time_of_day)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
LanguageTag = Annotated[str, AfterValidator(_language)]
CurrencyCode = Annotated[str, AfterValidator(_currency)]
Money = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6, allow_inf_nan=False)]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]


class Terms(BaseModel):
    """Base of every terms model: immutable, camelCase on the wire, no unknown fields."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        strict=False,
    )

    def canonical(self) -> dict[str, Any]:
        """The JSON-safe form hashed, diffed and stored (decimals and dates as strings)."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_canonical(cls, data: Mapping[str, Any]) -> Self:
        return cls.model_validate(data)


class ServiceHours(Terms):
    time_zone: TimeZoneName
    days: Annotated[list[Weekday], Field(min_length=1, max_length=7), AfterValidator(_unique)]
    opens_at: TimeOfDay
    closes_at: TimeOfDay

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        # closesAt before opensAt is an overnight shift; equal would be an empty one.
        if self.opens_at == self.closes_at:
            raise FieldError("closesAt", "closesAt must differ from opensAt")
        return self


class SlaTarget(Terms):
    metric: SlaMetric
    target: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    threshold_seconds: Annotated[int, Field(ge=1, le=3600)] | None = None

    @model_validator(mode="after")
    def _fits_metric(self) -> Self:
        if self.metric in PERCENT_METRICS and self.target > 100:
            raise FieldError("target", f"target of {self.metric} is a percentage: 0 to 100")
        if self.metric not in PERCENT_METRICS and self.target > MAX_SECONDS_TARGET:
            raise FieldError(
                "target", f"target of {self.metric} is in seconds: at most {MAX_SECONDS_TARGET}"
            )
        if self.metric is SlaMetric.SERVICE_LEVEL and self.threshold_seconds is None:
            raise FieldError(
                "thresholdSeconds", "SERVICE_LEVEL needs thresholdSeconds (answered within)"
            )
        if self.metric is not SlaMetric.SERVICE_LEVEL and self.threshold_seconds is not None:
            raise FieldError("thresholdSeconds", "thresholdSeconds applies to SERVICE_LEVEL only")
        return self

    @property
    def direction(self) -> TargetDirection:
        return direction_of(self.metric)


class Measured(Protocol):
    @property
    def metric(self) -> SlaMetric: ...


def unique_metrics[M: Measured](items: list[M]) -> list[M]:
    _unique([item.metric for item in items])
    return items


SlaTargets = Annotated[list[SlaTarget], Field(max_length=6), AfterValidator(unique_metrics)]


def parse_terms[M: Terms](model: type[M], data: Mapping[str, Any], field: str) -> M:
    """Validate `data` (GraphQL names) into `model`, or raise `BadUserInput` naming the field.

    `field` is the argument's path, prefixed to the path of the first error found, so a bad
    rate reports `terms.pricing.rate`.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = _error_path(field, error["loc"])
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, FieldError):
            path += cause.field if cause.field.startswith("[") else f".{cause.field}"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise BadUserInput(f"{path}: {message}", field=path) from None


def _error_path(field: str, loc: tuple[int | str, ...]) -> str:
    path = field
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not part.startswith(("function-", "constrained-")):
            path += f".{part}" if path else str(part)
    return path
