"""The one table that turns minio/urllib3 failures into archive errors, for every S3 adapter."""

from __future__ import annotations

import pytest
import urllib3
from minio.error import S3Error

from archive.errors import (
    ArchiveError,
    ChecksumMismatchError,
    ObjectNotFoundError,
    PublicOriginError,
    StoreAuthError,
    StoreUnavailableError,
)
from archive.store.s3_client import s3_failure, translated


def s3_error(code: str, status: int) -> S3Error:
    response = urllib3.HTTPResponse(body=b"", status=status)
    return S3Error(response, code, "message", "/bucket/key", "req", "host")


def translate(exc: Exception, refused: type[ArchiveError] = ArchiveError) -> ArchiveError:
    return s3_failure(
        exc,
        service="object store http://s3",
        action="reading",
        where="b/k",
        auth_hint="check keys",
        refused=refused,
    )


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("AccessDenied", 403, StoreAuthError),
        ("SignatureDoesNotMatch", 403, StoreAuthError),
        ("BadDigest", 400, ChecksumMismatchError),
        ("NoSuchKey", 404, ObjectNotFoundError),
        ("SlowDown", 503, StoreUnavailableError),
        ("SomethingNew", 500, StoreUnavailableError),
        ("InvalidArgument", 400, ArchiveError),
    ],
)
def test_each_s3_answer_becomes_its_archive_error(code: str, status: int, expected: type[Exception]) -> None:
    error = translate(s3_error(code, status))
    assert type(error) is expected
    assert "object store http://s3" in str(error) and "b/k" in str(error)


def test_an_adapter_names_its_own_refusal_and_auth_hint() -> None:
    error = translate(s3_error("InvalidArgument", 400), refused=PublicOriginError)
    assert isinstance(error, PublicOriginError)
    assert "check keys" in str(translate(s3_error("AccessDenied", 403)))


def test_no_answer_at_all_is_unavailable() -> None:
    error = translate(urllib3.exceptions.NewConnectionError(None, "refused"))  # type: ignore[arg-type]
    assert isinstance(error, StoreUnavailableError) and "unreachable" in str(error)


def test_translated_reraises_minio_failures_and_lets_others_through() -> None:
    with pytest.raises(ObjectNotFoundError) as caught, translated(translate):
        raise s3_error("NoSuchKey", 404)
    assert isinstance(caught.value.__cause__, S3Error)
    with pytest.raises(KeyError), translated(translate):
        raise KeyError("not a store failure")
