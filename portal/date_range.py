"""The dates and times the portal accepts from callers: years ``EARLIEST_YEAR`` to ``LATEST_YEAR``.

Outside that range a date means a typing error, and near the ends of Python's calendar (year 1, year
9999) a conversion to UTC or a day added overflows; so every date or time a caller sends (query
strings, forms, JSON bodies, agent reports) is checked here and refused with 422.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, TypeVar

from pydantic import AfterValidator, AwareDatetime

EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
OUT_OF_RANGE_MESSAGE = f"日期应在 {EARLIEST_YEAR} 年至 {LATEST_YEAR} 年之间"

_Day = TypeVar("_Day", bound=date)


def in_range(moment: date) -> bool:
    """True when ``moment`` (a date or a datetime, in its own time zone) falls in the accepted years."""
    return EARLIEST_YEAR <= moment.year <= LATEST_YEAR


def _checked(moment: _Day) -> _Day:
    if not in_range(moment):
        raise ValueError(OUT_OF_RANGE_MESSAGE)
    return moment


BoundedDate = Annotated[date, AfterValidator(_checked)]
"""A date of an HTTP body or query string, refused (422) outside the accepted years."""
BoundedDatetime = Annotated[AwareDatetime, AfterValidator(_checked)]
"""A time with a time zone of an HTTP body, refused (422) outside the accepted years."""
