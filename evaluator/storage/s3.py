"""Files in an S3-compatible bucket, through boto3 (AWS S3, MinIO, Ceph, moto's server...).

boto3 reads its usual configuration: ``AWS_ENDPOINT_URL`` (for anything but AWS itself),
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``. A PUT of a whole
object is atomic in S3, so readers never see half a file.
"""

from __future__ import annotations

from collections.abc import Iterator

from evaluator.storage.base import Storage, StorageError, StoredFile, check_key


class S3Storage(Storage):
    def __init__(self, bucket: str, prefix: str = "", *, client=None):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client or boto3.client(
            "s3", config=Config(retries={"max_attempts": 5, "mode": "standard"},
                                max_pool_connections=20))
        self.description = f"s3://{bucket}/{self.prefix}"

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data,
                                   ContentType=content_type)
        except Exception as exc:  # botocore's errors share no useful base for us
            raise StorageError(f"{self.description}{key}: {exc}") from exc

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from None
            raise StorageError(f"{self.description}{key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise StorageError(f"{self.description}{key}: {exc}") from exc

    def delete(self, key: str) -> None:
        name = self._name(key)  # a bad key is the caller's error, not the storage's
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except Exception as exc:
            raise StorageError(f"{self.description}{key}: {exc}") from exc

    def list(self, prefix: str = "") -> Iterator[StoredFile]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", ()):
                    yield StoredFile(item["Key"][len(self.prefix):], int(item["Size"]),
                                     item["LastModified"].replace(tzinfo=None))
        except Exception as exc:
            raise StorageError(f"{self.description}{prefix}: {exc}") from exc

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise StorageError(f"{self.description}: {exc}") from exc
