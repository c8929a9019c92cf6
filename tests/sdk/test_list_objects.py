"""GET Bucket (list_objects): prefix, delimiter, marker, paging, URL-encoded keys (spec §4.5)."""

import re

import pytest

from support import as_list, md5_etag

KEYS = [
    "a.txt",
    "dir/b.txt",
    "dir/c d.txt",
    "dir/sub/e.txt",
    "f+g.txt",
    "h%20i.txt",
    "中文/文件.txt",
    "../../x",
    "z/",
]


def byte_order(keys):
    return sorted(keys, key=lambda k: k.encode())


@pytest.fixture
def filled(client, bucket):
    for key in KEYS:
        client.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def keys_of(response):
    return [c["Key"] for c in as_list(response.get("Contents"))]


def prefixes_of(response):
    return [p["Prefix"] for p in as_list(response.get("CommonPrefixes"))]


def test_list_returns_every_key_exactly_in_byte_order(client, filled):
    response = client.list_objects(Bucket=filled)
    assert keys_of(response) == byte_order(KEYS)
    assert response["IsTruncated"] == "false"
    assert response["Name"] == filled


def test_list_entries_carry_etag_size_date_and_class(client, filled):
    entry = next(c for c in client.list_objects(Bucket=filled)["Contents"] if c["Key"] == "a.txt")
    assert entry["ETag"] == md5_etag(b"a.txt")
    assert entry["Size"] == "5"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", entry["LastModified"])
    assert entry["StorageClass"] == "STANDARD"


def test_prefix_limits_keys(client, filled):
    response = client.list_objects(Bucket=filled, Prefix="dir/")
    assert keys_of(response) == ["dir/b.txt", "dir/c d.txt", "dir/sub/e.txt"]


def test_prefix_with_space_and_non_ascii(client, filled):
    assert keys_of(client.list_objects(Bucket=filled, Prefix="dir/c d")) == ["dir/c d.txt"]
    assert keys_of(client.list_objects(Bucket=filled, Prefix="中文/")) == ["中文/文件.txt"]


def test_prefix_with_plus_and_percent_is_literal(client, filled):
    assert keys_of(client.list_objects(Bucket=filled, Prefix="f+")) == ["f+g.txt"]
    assert keys_of(client.list_objects(Bucket=filled, Prefix="h%20")) == ["h%20i.txt"]


def test_delimiter_rolls_keys_up_into_common_prefixes(client, filled):
    response = client.list_objects(Bucket=filled, Delimiter="/")
    assert keys_of(response) == byte_order(["a.txt", "f+g.txt", "h%20i.txt"])
    assert prefixes_of(response) == byte_order(["../", "dir/", "中文/", "z/"])


def test_prefix_and_delimiter_list_one_level(client, filled):
    response = client.list_objects(Bucket=filled, Prefix="dir/", Delimiter="/")
    assert keys_of(response) == ["dir/b.txt", "dir/c d.txt"]
    assert prefixes_of(response) == ["dir/sub/"]


def test_marker_lists_keys_strictly_after_it(client, filled):
    response = client.list_objects(Bucket=filled, Marker="dir/b.txt")
    expected = [k for k in byte_order(KEYS) if k.encode() > b"dir/b.txt"]
    assert keys_of(response) == expected


def test_max_keys_truncates_and_sets_next_marker_without_delimiter(client, filled):
    response = client.list_objects(Bucket=filled, MaxKeys=2)
    assert response["IsTruncated"] == "true"
    assert keys_of(response) == byte_order(KEYS)[:2]
    assert response["NextMarker"] == byte_order(KEYS)[1]


def test_paging_with_next_marker_visits_every_key_once(client, filled):
    seen, marker = [], ""
    for _ in range(len(KEYS) + 1):
        response = client.list_objects(Bucket=filled, Marker=marker, MaxKeys=2)
        seen += keys_of(response)
        if response["IsTruncated"] == "false":
            break
        marker = response["NextMarker"]
    assert seen == byte_order(KEYS)


def test_paging_with_delimiter_counts_common_prefixes(client, filled):
    entries, marker = [], ""
    for _ in range(len(KEYS) + 1):
        response = client.list_objects(Bucket=filled, Delimiter="/", Marker=marker, MaxKeys=2)
        page = keys_of(response) + prefixes_of(response)
        assert len(page) <= 2
        entries += page
        if response["IsTruncated"] == "false":
            break
        marker = response["NextMarker"]
    assert byte_order(entries) == byte_order(
        ["a.txt", "f+g.txt", "h%20i.txt", "../", "dir/", "中文/", "z/"])


def test_empty_bucket_lists_nothing(client, bucket):
    response = client.list_objects(Bucket=bucket)
    assert "Contents" not in response
    assert response["IsTruncated"] == "false"


def test_max_keys_above_1000_is_clamped_not_rejected(client, filled):
    response = client.list_objects(Bucket=filled, MaxKeys=5000)
    assert keys_of(response) == byte_order(KEYS)


def test_deleted_key_disappears_from_listing(client, filled):
    client.delete_object(Bucket=filled, Key="a.txt")
    assert "a.txt" not in keys_of(client.list_objects(Bucket=filled))
