"""PUT / GET / HEAD / DELETE Object, Range, conditionals, Content-MD5, DELETE Multiple
(spec §3.1, §4.6-4.10, §6.2, §7)."""

import hashlib
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

import pytest

from support import as_list, content_md5, crc64, md5_etag, read_body, service_error

HELLO = b"hello cos"
HELLO_CRC64 = "13242225731321912570"


@pytest.fixture
def hello(client, bucket):
    client.put_object(Bucket=bucket, Key="hello.txt", Body=HELLO, ContentType="text/plain",
                      Metadata={"x-cos-meta-author": "alice"})
    return bucket


# --- PUT Object --------------------------------------------------------------------------------

def test_put_object_returns_etag_crc64_and_request_id_by_exact_names(client, bucket):
    response = client.put_object(Bucket=bucket, Key="hello.txt", Body=HELLO)
    assert response["ETag"] == md5_etag(HELLO)
    assert response["x-cos-hash-crc64ecma"] == HELLO_CRC64
    assert response["x-cos-request-id"]


def test_crc64_of_a_larger_body_matches_crc64_xz(client, bucket):
    body = bytes(range(256)) * 4099
    response = client.put_object(Bucket=bucket, Key="bytes.bin", Body=body)
    assert response["x-cos-hash-crc64ecma"] == crc64(body)


def test_crc64_of_an_empty_object_is_zero(client, bucket):
    response = client.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert response["x-cos-hash-crc64ecma"] == "0"


def test_put_with_correct_content_md5_is_stored(client, bucket):
    client.put_object(Bucket=bucket, Key="md5.txt", Body=HELLO, EnableMD5=True)
    assert read_body(client.get_object(Bucket=bucket, Key="md5.txt")) == HELLO


def test_put_with_wrong_content_md5_is_bad_digest_and_stores_nothing(client, bucket):
    err = service_error(client.put_object, Bucket=bucket, Key="bad.txt", Body=HELLO,
                        ContentMD5=content_md5(b"something else"))
    assert err.get_status_code() == 400
    assert err.get_error_code() == "BadDigest"
    assert service_error(client.head_object, Bucket=bucket, Key="bad.txt").get_status_code() == 404


def test_put_with_undecodable_content_md5_is_invalid_digest(client, bucket):
    err = service_error(client.put_object, Bucket=bucket, Key="bad.txt", Body=HELLO,
                        ContentMD5="not-an-md5")
    assert err.get_status_code() == 400
    assert err.get_error_code() == "InvalidDigest"


def test_put_with_wrong_content_md5_keeps_the_previous_version(client, hello):
    service_error(client.put_object, Bucket=hello, Key="hello.txt", Body=b"new",
                  ContentMD5=content_md5(b"other"))
    assert read_body(client.get_object(Bucket=hello, Key="hello.txt")) == HELLO


def test_overwrite_replaces_body_and_metadata(client, hello):
    client.put_object(Bucket=hello, Key="hello.txt", Body=b"second",
                      Metadata={"x-cos-meta-editor": "bob"})
    head = client.head_object(Bucket=hello, Key="hello.txt")
    assert head["ETag"] == md5_etag(b"second")
    assert head["x-cos-meta-editor"] == "bob"
    assert "x-cos-meta-author" not in head


def test_chunked_upload_without_content_length_is_stored(client, bucket):
    def chunks():
        yield b"hello "
        yield b"cos"

    client.put_object(Bucket=bucket, Key="chunked.txt", Body=chunks())
    head = client.head_object(Bucket=bucket, Key="chunked.txt")
    assert head["Content-Length"] == "9"
    assert head["x-cos-hash-crc64ecma"] == HELLO_CRC64


# --- HEAD / GET Object -------------------------------------------------------------------------

def test_head_object_headers_use_exact_spelling(client, hello):
    head = client.head_object(Bucket=hello, Key="hello.txt")
    assert head["Content-Length"] == "9"
    assert head["Content-Type"] == "text/plain"
    assert head["ETag"] == md5_etag(HELLO)
    assert head["x-cos-hash-crc64ecma"] == HELLO_CRC64
    assert head["x-cos-request-id"]
    assert parsedate_to_datetime(head["Last-Modified"]).tzinfo is not None


def test_get_object_returns_body_and_headers(client, hello):
    response = client.get_object(Bucket=hello, Key="hello.txt")
    assert read_body(response) == HELLO
    assert response["Content-Length"] == "9"
    assert response["ETag"] == md5_etag(HELLO)
    assert response["x-cos-hash-crc64ecma"] == HELLO_CRC64
    assert response["x-cos-meta-author"] == "alice"


def test_get_object_is_not_compressed(client, bucket):
    body = b"a" * 100_000
    client.put_object(Bucket=bucket, Key="compressible.txt", Body=body, ContentType="text/plain")
    response = client.get_object(Bucket=bucket, Key="compressible.txt")
    assert "Content-Encoding" not in response
    assert read_body(response) == body


def test_metadata_is_returned_by_exact_lower_case_name(client, bucket):
    client.put_object(Bucket=bucket, Key="meta.txt", Body=b"m",
                      Metadata={"x-cos-meta-author": "alice", "x-cos-meta-Project-ID": "42"})
    head = client.head_object(Bucket=bucket, Key="meta.txt")
    assert head["x-cos-meta-author"] == "alice"
    assert head["x-cos-meta-project-id"] == "42"


def test_standard_content_headers_are_stored_and_echoed(client, bucket):
    client.put_object(Bucket=bucket, Key="std.txt", Body=b"s", ContentType="text/csv",
                      CacheControl="max-age=60", ContentDisposition='attachment; filename="s.csv"',
                      ContentEncoding="gzip", ContentLanguage="zh-CN",
                      Expires="Wed, 21 Oct 2037 07:28:00 GMT")
    head = client.head_object(Bucket=bucket, Key="std.txt")
    assert head["Content-Type"] == "text/csv"
    assert head["Cache-Control"] == "max-age=60"
    assert head["Content-Disposition"] == 'attachment; filename="s.csv"'
    assert head["Content-Encoding"] == "gzip"
    assert head["Content-Language"] == "zh-CN"
    assert head["Expires"] == "Wed, 21 Oct 2037 07:28:00 GMT"


def test_missing_content_type_defaults_to_octet_stream(client, bucket):
    client.put_object(Bucket=bucket, Key="plain", Body=b"p")
    assert client.head_object(Bucket=bucket, Key="plain")["Content-Type"] == \
        "application/octet-stream"


def test_response_parameters_override_response_headers(client, hello):
    response = client.get_object(Bucket=hello, Key="hello.txt", ResponseContentType="text/csv",
                                 ResponseCacheControl="no-cache",
                                 ResponseContentDisposition="inline")
    assert response["Content-Type"] == "text/csv"
    assert response["Cache-Control"] == "no-cache"
    assert response["Content-Disposition"] == "inline"


def test_get_missing_object_is_no_such_key(client, bucket):
    err = service_error(client.get_object, Bucket=bucket, Key="missing.txt")
    assert err.get_status_code() == 404
    assert err.get_error_code() == "NoSuchKey"
    assert "missing.txt" in err.get_resource_location()


def test_head_missing_object_is_404(client, bucket):
    err = service_error(client.head_object, Bucket=bucket, Key="missing.txt")
    assert err.get_status_code() == 404
    assert err.get_request_id() not in ("", "Unknown")
    assert client.object_exists(Bucket=bucket, Key="missing.txt") is False


@pytest.mark.parametrize("key", [
    "dir/hello world+.txt",
    "plus+sign",
    "percent%20literal",
    "中文/文件名.txt",
    "../../x",
    "./dot",
    "a//b",
    "q?a=1&b=2#frag",
    "trailing/",
    "semi;colon=eq,comma:'quote'",
])
def test_key_round_trips_through_put_get_head_and_list(client, bucket, key):
    client.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert read_body(client.get_object(Bucket=bucket, Key=key)) == key.encode()
    assert client.head_object(Bucket=bucket, Key=key)["Content-Length"] == str(len(key.encode()))
    listed = [c["Key"] for c in as_list(client.list_objects(Bucket=bucket).get("Contents"))]
    assert listed == [key]


def test_keys_differing_only_in_case_are_distinct(client, bucket):
    client.put_object(Bucket=bucket, Key="Case.txt", Body=b"upper")
    client.put_object(Bucket=bucket, Key="case.txt", Body=b"lower")
    assert read_body(client.get_object(Bucket=bucket, Key="Case.txt")) == b"upper"
    assert read_body(client.get_object(Bucket=bucket, Key="case.txt")) == b"lower"


# --- Range -------------------------------------------------------------------------------------

@pytest.mark.parametrize("header, body, content_range", [
    ("bytes=0-4", b"hello", "bytes 0-4/9"),
    ("bytes=6-", b"cos", "bytes 6-8/9"),
    ("bytes=-3", b"cos", "bytes 6-8/9"),
    ("bytes=4-100", b"o cos", "bytes 4-8/9"),
])
def test_range_get_returns_the_slice(client, hello, header, body, content_range):
    response = client.get_object(Bucket=hello, Key="hello.txt", Range=header)
    assert read_body(response) == body
    assert response["Content-Range"] == content_range
    assert response["Content-Length"] == str(len(body))


def test_range_get_status_is_206(raw, hello):
    response = raw.request("GET", hello, "hello.txt", headers={"Range": "bytes=0-4"})
    assert response.status_code == 206
    assert response.content == b"hello"


def test_range_past_the_end_is_416_invalid_range(client, hello):
    err = service_error(client.get_object, Bucket=hello, Key="hello.txt", Range="bytes=9-20")
    assert err.get_status_code() == 416
    assert err.get_error_code() == "InvalidRange"


def test_range_past_the_end_reports_the_size(raw, hello):
    response = raw.request("GET", hello, "hello.txt", headers={"Range": "bytes=100-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */9"


# --- Conditional GET ---------------------------------------------------------------------------

def last_modified(client, bucket, key):
    return parsedate_to_datetime(client.head_object(Bucket=bucket, Key=key)["Last-Modified"])


def test_if_none_match_with_current_etag_is_304(raw, hello):
    response = raw.request("GET", hello, "hello.txt", headers={"If-None-Match": md5_etag(HELLO)})
    assert response.status_code == 304
    assert response.content == b""


def test_if_none_match_with_current_etag_reads_as_empty_through_the_sdk(client, hello):
    response = client.get_object(Bucket=hello, Key="hello.txt", IfNoneMatch=md5_etag(HELLO))
    assert read_body(response) == b""


def test_if_none_match_with_other_etag_returns_the_object(raw, hello):
    response = raw.request("GET", hello, "hello.txt", headers={"If-None-Match": '"0000"'})
    assert response.status_code == 200
    assert response.content == HELLO


def test_if_match_with_other_etag_is_412_precondition_failed(client, hello):
    err = service_error(client.get_object, Bucket=hello, Key="hello.txt", IfMatch='"0000"')
    assert err.get_status_code() == 412
    assert err.get_error_code() == "PreconditionFailed"


def test_if_match_with_current_etag_returns_the_object(client, hello):
    response = client.get_object(Bucket=hello, Key="hello.txt", IfMatch=md5_etag(HELLO))
    assert read_body(response) == HELLO


def test_if_modified_since_last_modified_is_304(raw, client, hello):
    since = format_datetime(last_modified(client, hello, "hello.txt"), usegmt=True)
    response = raw.request("GET", hello, "hello.txt", headers={"If-Modified-Since": since})
    assert response.status_code == 304


def test_if_modified_since_earlier_date_returns_the_object(raw, client, hello):
    earlier = last_modified(client, hello, "hello.txt") - timedelta(days=1)
    since = format_datetime(earlier, usegmt=True)
    response = raw.request("GET", hello, "hello.txt", headers={"If-Modified-Since": since})
    assert response.status_code == 200


def test_if_unmodified_since_earlier_date_is_412(client, hello):
    earlier = last_modified(client, hello, "hello.txt") - timedelta(days=1)
    err = service_error(client.get_object, Bucket=hello, Key="hello.txt",
                        IfUnmodifiedSince=format_datetime(earlier, usegmt=True))
    assert err.get_status_code() == 412
    assert err.get_error_code() == "PreconditionFailed"


# --- DELETE Object -----------------------------------------------------------------------------

def test_delete_object_removes_it(client, hello):
    client.delete_object(Bucket=hello, Key="hello.txt")
    assert client.object_exists(Bucket=hello, Key="hello.txt") is False


def test_delete_object_status_is_204(raw, hello):
    assert raw.request("DELETE", hello, "hello.txt").status_code == 204


def test_delete_missing_object_succeeds(client, bucket):
    client.delete_object(Bucket=bucket, Key="never-existed")


# --- DELETE Multiple Objects -------------------------------------------------------------------

DELETE_KEYS = ["one.txt", "two words+plus.txt", "中文.txt"]


@pytest.fixture
def three(client, bucket):
    for key in DELETE_KEYS:
        client.put_object(Bucket=bucket, Key=key, Body=b"d")
    client.put_object(Bucket=bucket, Key="survivor.txt", Body=b"s")
    return bucket


def delete_request(keys, quiet):
    return {"Quiet": "true" if quiet else "false", "Object": [{"Key": k} for k in keys]}


def test_delete_objects_reports_each_deleted_key(client, three):
    keys = DELETE_KEYS + ["not-there.txt"]
    response = client.delete_objects(Bucket=three, Delete=delete_request(keys, quiet=False))
    assert sorted(d["Key"] for d in response["Deleted"]) == sorted(keys)
    assert response.get("Error", []) == []


def test_delete_objects_removes_only_the_listed_keys(client, three):
    client.delete_objects(Bucket=three, Delete=delete_request(DELETE_KEYS, quiet=False))
    listed = [c["Key"] for c in as_list(client.list_objects(Bucket=three).get("Contents"))]
    assert listed == ["survivor.txt"]


def test_delete_objects_quiet_reports_nothing_on_success(client, three):
    response = client.delete_objects(Bucket=three, Delete=delete_request(DELETE_KEYS, quiet=True))
    assert response.get("Deleted", []) == []
    assert response.get("Error", []) == []
    assert client.object_exists(Bucket=three, Key="one.txt") is False


def test_md5_helper_matches_etag_format():
    # Guards the helpers the assertions above rely on.
    assert md5_etag(HELLO) == '"%s"' % hashlib.md5(HELLO).hexdigest()
    assert crc64(HELLO) == HELLO_CRC64
