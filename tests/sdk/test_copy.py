"""PUT Object - Copy (spec §4.11)."""

import pytest

from support import REGION, md5_etag, new_bucket_name, read_body, service_error

BODY = b"copy me"
SOURCE_KEY = "src dir/source+1.txt"


@pytest.fixture
def source(client, bucket):
    client.put_object(Bucket=bucket, Key=SOURCE_KEY, Body=BODY, ContentType="text/plain",
                      CacheControl="max-age=5", Metadata={"x-cos-meta-origin": "source"})
    return bucket


def copy_source(bucket, key=SOURCE_KEY):
    return {"Bucket": bucket, "Key": key, "Region": REGION}


def test_copy_within_bucket_copies_body(client, source):
    response = client.copy_object(Bucket=source, Key="dst.txt", CopySource=copy_source(source))
    assert response["ETag"] == md5_etag(BODY)
    assert read_body(client.get_object(Bucket=source, Key="dst.txt")) == BODY


def test_copy_keeps_the_source(client, source):
    client.copy_object(Bucket=source, Key="dst.txt", CopySource=copy_source(source))
    assert read_body(client.get_object(Bucket=source, Key=SOURCE_KEY)) == BODY


def test_copy_to_other_bucket_copies_body(client, source, other_bucket):
    client.copy_object(Bucket=other_bucket, Key="dst.txt", CopySource=copy_source(source))
    assert read_body(client.get_object(Bucket=other_bucket, Key="dst.txt")) == BODY


def test_copy_directive_keeps_source_metadata_and_content_headers(client, source):
    client.copy_object(Bucket=source, Key="dst.txt", CopySource=copy_source(source),
                       CopyStatus="Copy")
    head = client.head_object(Bucket=source, Key="dst.txt")
    assert head["x-cos-meta-origin"] == "source"
    assert head["Content-Type"] == "text/plain"
    assert head["Cache-Control"] == "max-age=5"


def test_replaced_directive_takes_metadata_from_the_request(client, source):
    client.copy_object(Bucket=source, Key="dst.txt", CopySource=copy_source(source),
                       CopyStatus="Replaced", ContentType="application/json",
                       Metadata={"x-cos-meta-replaced": "yes"})
    head = client.head_object(Bucket=source, Key="dst.txt")
    assert head["x-cos-meta-replaced"] == "yes"
    assert "x-cos-meta-origin" not in head
    assert head["Content-Type"] == "application/json"
    assert read_body(client.get_object(Bucket=source, Key="dst.txt")) == BODY


def test_replaced_copy_onto_itself_updates_metadata(client, source):
    client.copy_object(Bucket=source, Key=SOURCE_KEY, CopySource=copy_source(source),
                       CopyStatus="Replaced", Metadata={"x-cos-meta-origin": "updated"})
    head = client.head_object(Bucket=source, Key=SOURCE_KEY)
    assert head["x-cos-meta-origin"] == "updated"
    assert read_body(client.get_object(Bucket=source, Key=SOURCE_KEY)) == BODY


def test_copy_response_carries_crc64_of_the_copy(client, source):
    client.copy_object(Bucket=source, Key="dst.txt", CopySource=copy_source(source))
    head = client.head_object(Bucket=source, Key="dst.txt")
    src = client.head_object(Bucket=source, Key=SOURCE_KEY)
    assert head["x-cos-hash-crc64ecma"] == src["x-cos-hash-crc64ecma"]


def test_copy_of_missing_source_is_no_such_key(client, bucket):
    err = service_error(client.copy_object, Bucket=bucket, Key="dst.txt",
                        CopySource=copy_source(bucket, "missing.txt"))
    assert err.get_status_code() == 404
    assert err.get_error_code() == "NoSuchKey"
    assert client.object_exists(Bucket=bucket, Key="dst.txt") is False


def test_copy_from_missing_bucket_is_404(client, bucket):
    err = service_error(client.copy_object, Bucket=bucket, Key="dst.txt",
                        CopySource=copy_source(new_bucket_name(), "a.txt"))
    assert err.get_status_code() == 404


def test_copy_source_if_match_failure_is_412(client, source):
    err = service_error(client.copy_object, Bucket=source, Key="dst.txt",
                        CopySource=copy_source(source), CopySourceIfMatch='"0000"')
    assert err.get_status_code() == 412
    assert err.get_error_code() == "PreconditionFailed"
