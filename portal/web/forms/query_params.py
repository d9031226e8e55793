"""Query parameters of the pages' filter forms: a field left empty arrives as ``name=`` and means
"any", not a malformed value (a browser submits every field of a GET form)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import BeforeValidator, Field

from portal.date_range import BoundedDate


def _blank_as_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


DateFilter = Annotated[BoundedDate | None, BeforeValidator(_blank_as_none), Query(alias="date")]
"""A local calendar date to filter by (``date=``; empty: any date)."""
_Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
CourtroomFilter = Annotated[_Id | None, BeforeValidator(_blank_as_none), Query(alias="room")]
"""A courtroom id to filter by (``room=``; empty: every courtroom)."""
