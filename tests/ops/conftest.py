"""Fixtures for the operations tests."""

import pytest

BUCKET = "evaluator-test"


@pytest.fixture
def s3(monkeypatch):
    """moto's S3 in this process, with one bucket."""
    moto = pytest.importorskip("moto")
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with moto.mock_aws():
        import boto3

        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield boto3.client("s3")
