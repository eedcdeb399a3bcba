"""Where dossier documents' bytes live: by content hash (SHA-256) in a folder on disk (the
default), or in an S3-compatible bucket (AWS S3, MinIO, Ceph, ...) through boto3, the maintained
AWS client. The same content is stored once; a stored object is never changed, so a download is
exactly what was uploaded. Metadata and confidentiality are in PostgreSQL (api/documents.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Protocol

from infra.files import write_atomically
from infra.settings import Settings


class StoreUnavailable(Exception):
    """The store could not be reached or written: the request may be retried (a 503)."""


class DocumentMissing(Exception):
    """The metadata names content the store does not hold."""


class DocumentStore(Protocol):
    async def put(self, sha256: str, data: bytes, media_type: str) -> None: ...

    async def get(self, sha256: str) -> bytes: ...


class DiskStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def _put(self, sha256: str, data: bytes) -> None:
        path = self._path(sha256)
        if path.exists():
            return
        # Written beside it, then renamed: a reader never sees half a file.
        write_atomically(path, data, prefix=".upload-")

    async def put(self, sha256: str, data: bytes, media_type: str) -> None:
        try:
            await asyncio.to_thread(self._put, sha256, data)
        except OSError as err:
            raise StoreUnavailable(f"the document folder cannot be written: {err}") from err

    async def get(self, sha256: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(sha256).read_bytes)
        except FileNotFoundError as err:
            raise DocumentMissing(sha256) from err
        except OSError as err:
            raise StoreUnavailable(f"the document folder cannot be read: {err}") from err


class S3Store:
    """One object per content hash, ``documents/<sha256>``, in ``bucket``."""

    def __init__(self, bucket: str, *, endpoint_url: str | None, region: str) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5),
        )

    @staticmethod
    def key(sha256: str) -> str:
        return f"documents/{sha256}"

    async def put(self, sha256: str, data: bytes, media_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            await asyncio.to_thread(
                self._client.put_object,
                Bucket=self.bucket,
                Key=self.key(sha256),
                Body=data,
                ContentType=media_type,
                ChecksumAlgorithm="SHA256",
            )
        except (BotoCoreError, ClientError) as err:
            raise StoreUnavailable(f"the document bucket cannot be written: {err}") from err

    async def get(self, sha256: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = await asyncio.to_thread(
                self._client.get_object, Bucket=self.bucket, Key=self.key(sha256)
            )
            body: bytes = await asyncio.to_thread(response["Body"].read)
            return body
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise DocumentMissing(sha256) from err
            raise StoreUnavailable(f"the document bucket cannot be read: {err}") from err
        except BotoCoreError as err:
            raise StoreUnavailable(f"the document bucket cannot be read: {err}") from err


def store_from(settings: Settings) -> DocumentStore:
    if settings.documents_backend == "s3":
        if not settings.documents_s3_bucket:
            raise ValueError("BIOSAFETY_DOCUMENTS_S3_BUCKET is required with the s3 backend")
        return S3Store(
            settings.documents_s3_bucket,
            endpoint_url=settings.documents_s3_endpoint_url,
            region=settings.documents_s3_region,
        )
    return DiskStore(settings.documents_dir)
