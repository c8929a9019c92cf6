"""Multipart upload, upload_file and download_file (spec §4.13, §4.14, §8)."""

import os
import re

from support import MIB, as_list, crc64, md5_etag, read_body, service_error

SMALL = b"tail part"


def part(n: int, size: int = MIB) -> bytes:
    """Distinct, reproducible content for part n."""
    return bytes([n % 251]) * size


def upload_parts(client, bucket, key, upload_id, bodies):
    """Upload bodies as parts 1..N; returns the Part list for complete."""
    parts = []
    for number, body in enumerate(bodies, start=1):
        response = client.upload_part(Bucket=bucket, Key=key, Body=body, PartNumber=number,
                                      UploadId=upload_id)
        parts.append({"PartNumber": number, "ETag": response["ETag"]})
    return parts


def open_upload(client, bucket, key="big.bin", **kwargs):
    return client.create_multipart_upload(Bucket=bucket, Key=key, **kwargs)["UploadId"]


def uploads_for(client, bucket, key):
    response = client.list_multipart_uploads(Bucket=bucket, Prefix=key)
    return [u for u in as_list(response.get("Upload")) if u["Key"] == key]


def write_random_file(path, size):
    data = os.urandom(size)
    path.write_bytes(data)
    return data


# --- Initiate / upload part / complete ---------------------------------------------------------

def test_create_multipart_upload_returns_bucket_key_and_upload_id(client, bucket):
    response = client.create_multipart_upload(Bucket=bucket, Key="big.bin")
    assert response["Bucket"] == bucket
    assert response["Key"] == "big.bin"
    assert re.fullmatch(r"[A-Za-z0-9._~-]+", response["UploadId"])


def test_upload_part_returns_part_etag_and_crc64(client, bucket):
    upload_id = open_upload(client, bucket)
    response = client.upload_part(Bucket=bucket, Key="big.bin", Body=SMALL, PartNumber=1,
                                  UploadId=upload_id)
    assert response["ETag"] == md5_etag(SMALL)
    assert response["x-cos-hash-crc64ecma"] == crc64(SMALL)


def test_complete_assembles_parts_in_order(client, bucket):
    upload_id = open_upload(client, bucket)
    bodies = [part(1), part(2), SMALL]
    parts = upload_parts(client, bucket, "big.bin", upload_id, bodies)
    client.complete_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=upload_id,
                                     MultipartUpload={"Part": parts})
    assert read_body(client.get_object(Bucket=bucket, Key="big.bin")) == b"".join(bodies)


def test_complete_returns_multipart_etag_and_location(client, bucket):
    upload_id = open_upload(client, bucket)
    parts = upload_parts(client, bucket, "big.bin", upload_id, [part(1), SMALL])
    response = client.complete_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=upload_id,
                                                MultipartUpload={"Part": parts})
    assert re.fullmatch(r'"[0-9a-f]{32}-2"', response["ETag"])
    assert response["Key"] == "big.bin"
    assert response["Bucket"] == bucket
    assert response["Location"].endswith("/big.bin")


def test_completed_object_has_crc64_of_the_whole(client, bucket):
    upload_id = open_upload(client, bucket)
    bodies = [part(1), SMALL]
    parts = upload_parts(client, bucket, "big.bin", upload_id, bodies)
    client.complete_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=upload_id,
                                     MultipartUpload={"Part": parts})
    head = client.head_object(Bucket=bucket, Key="big.bin")
    assert head["x-cos-hash-crc64ecma"] == crc64(b"".join(bodies))
    assert head["Content-Length"] == str(MIB + len(SMALL))


def test_complete_keeps_metadata_and_acl_given_at_initiate(client, bucket):
    upload_id = open_upload(client, bucket, ContentType="text/plain", ACL="public-read",
                            Metadata={"x-cos-meta-stage": "initiate"})
    parts = upload_parts(client, bucket, "big.bin", upload_id, [SMALL])
    client.complete_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=upload_id,
                                     MultipartUpload={"Part": parts})
    head = client.head_object(Bucket=bucket, Key="big.bin")
    assert head["Content-Type"] == "text/plain"
    assert head["x-cos-meta-stage"] == "initiate"
    assert client.get_object_acl(Bucket=bucket, Key="big.bin")["CannedACL"] == "public-read"


def test_complete_uses_only_the_listed_parts(client, bucket):
    upload_id = open_upload(client, bucket)
    parts = upload_parts(client, bucket, "big.bin", upload_id, [part(1), SMALL, b"unused"])
    client.complete_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=upload_id,
                                     MultipartUpload={"Part": parts[:2]})
    assert read_body(client.get_object(Bucket=bucket, Key="big.bin")) == part(1) + SMALL


def test_reuploaded_part_number_replaces_the_part(client, bucket):
    upload_id = open_upload(client, bucket)
    upload_parts(client, bucket, "big.bin", upload_id, [b"first version"])
    parts = upload_parts(client, bucket, "big.bin", upload_id, [SMALL])
    listed = client.list_parts(Bucket=bucket, Key="big.bin", UploadId=upload_id)["Part"]
    assert [(p["PartNumber"], p["ETag"]) for p in listed] == [("1", md5_etag(SMALL))]
    client.complete_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=upload_id,
                                     MultipartUpload={"Part": parts})
    assert read_body(client.get_object(Bucket=bucket, Key="big.bin")) == SMALL


def test_retried_complete_returns_the_same_result(client, bucket):
    upload_id = open_upload(client, bucket)
    parts = upload_parts(client, bucket, "big.bin", upload_id, [part(1), SMALL])
    request = dict(Bucket=bucket, Key="big.bin", UploadId=upload_id,
                   MultipartUpload={"Part": parts})
    first = client.complete_multipart_upload(**request)
    second = client.complete_multipart_upload(**request)
    assert (second["ETag"], second["Key"]) == (first["ETag"], first["Key"])
    assert read_body(client.get_object(Bucket=bucket, Key="big.bin")) == part(1) + SMALL


def test_completed_upload_is_no_longer_listed(client, bucket):
    upload_id = open_upload(client, bucket)
    parts = upload_parts(client, bucket, "big.bin", upload_id, [SMALL])
    client.complete_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=upload_id,
                                     MultipartUpload={"Part": parts})
    assert uploads_for(client, bucket, "big.bin") == []


# --- Complete errors ---------------------------------------------------------------------------

def complete_error(client, bucket, upload_id, parts, key="big.bin"):
    return service_error(client.complete_multipart_upload, Bucket=bucket, Key=key,
                         UploadId=upload_id, MultipartUpload={"Part": parts})


def test_complete_with_descending_parts_is_invalid_part_order(client, bucket):
    upload_id = open_upload(client, bucket)
    parts = upload_parts(client, bucket, "big.bin", upload_id, [part(1), SMALL])
    err = complete_error(client, bucket, upload_id, list(reversed(parts)))
    assert err.get_status_code() == 400
    assert err.get_error_code() == "InvalidPartOrder"


def test_complete_with_wrong_etag_is_invalid_part(client, bucket):
    upload_id = open_upload(client, bucket)
    parts = upload_parts(client, bucket, "big.bin", upload_id, [part(1), SMALL])
    parts[1]["ETag"] = md5_etag(b"not this part")
    err = complete_error(client, bucket, upload_id, parts)
    assert err.get_status_code() == 400
    assert err.get_error_code() == "InvalidPart"


def test_complete_with_never_uploaded_part_is_invalid_part(client, bucket):
    upload_id = open_upload(client, bucket)
    parts = upload_parts(client, bucket, "big.bin", upload_id, [part(1)])
    parts.append({"PartNumber": 2, "ETag": md5_etag(SMALL)})
    err = complete_error(client, bucket, upload_id, parts)
    assert err.get_status_code() == 400
    assert err.get_error_code() == "InvalidPart"


def test_complete_with_small_non_last_part_is_entity_too_small(client, bucket):
    upload_id = open_upload(client, bucket)
    parts = upload_parts(client, bucket, "big.bin", upload_id, [SMALL, SMALL])
    err = complete_error(client, bucket, upload_id, parts)
    assert err.get_status_code() == 400
    assert err.get_error_code() == "EntityTooSmall"


def test_failed_complete_leaves_the_upload_open(client, bucket):
    upload_id = open_upload(client, bucket)
    parts = upload_parts(client, bucket, "big.bin", upload_id, [SMALL, SMALL])
    complete_error(client, bucket, upload_id, parts)
    assert client.object_exists(Bucket=bucket, Key="big.bin") is False
    assert [u["UploadId"] for u in uploads_for(client, bucket, "big.bin")] == [upload_id]


def test_complete_of_unknown_upload_is_no_such_upload(client, bucket):
    err = complete_error(client, bucket, "1700000000deadbeef", [{"PartNumber": 1,
                                                                  "ETag": md5_etag(SMALL)}])
    assert err.get_status_code() == 404
    assert err.get_error_code() == "NoSuchUpload"


def test_upload_part_to_unknown_upload_is_no_such_upload(client, bucket):
    err = service_error(client.upload_part, Bucket=bucket, Key="big.bin", Body=SMALL,
                        PartNumber=1, UploadId="1700000000deadbeef")
    assert err.get_status_code() == 404
    assert err.get_error_code() == "NoSuchUpload"


def test_upload_part_with_upload_id_of_other_key_is_no_such_upload(client, bucket):
    upload_id = open_upload(client, bucket, key="one.bin")
    err = service_error(client.upload_part, Bucket=bucket, Key="two.bin", Body=SMALL,
                        PartNumber=1, UploadId=upload_id)
    assert err.get_status_code() == 404
    assert err.get_error_code() == "NoSuchUpload"


def test_upload_part_number_above_10000_is_invalid_argument(client, bucket):
    upload_id = open_upload(client, bucket)
    err = service_error(client.upload_part, Bucket=bucket, Key="big.bin", Body=SMALL,
                        PartNumber=10001, UploadId=upload_id)
    assert err.get_status_code() == 400
    assert err.get_error_code() == "InvalidArgument"


# --- Abort -------------------------------------------------------------------------------------

def test_abort_removes_the_upload(client, bucket):
    upload_id = open_upload(client, bucket)
    upload_parts(client, bucket, "big.bin", upload_id, [SMALL])
    client.abort_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=upload_id)
    assert uploads_for(client, bucket, "big.bin") == []
    err = service_error(client.list_parts, Bucket=bucket, Key="big.bin", UploadId=upload_id)
    assert err.get_error_code() == "NoSuchUpload"


def test_abort_status_is_204(client, raw, bucket):
    upload_id = open_upload(client, bucket)
    response = raw.request("DELETE", bucket, "big.bin", params={"uploadId": upload_id})
    assert response.status_code == 204


def test_abort_of_unknown_upload_is_no_such_upload(client, bucket):
    err = service_error(client.abort_multipart_upload, Bucket=bucket, Key="big.bin",
                        UploadId="1700000000deadbeef")
    assert err.get_status_code() == 404
    assert err.get_error_code() == "NoSuchUpload"


def test_aborted_upload_no_longer_blocks_delete_bucket(client, bucket):
    upload_id = open_upload(client, bucket)
    client.abort_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=upload_id)
    client.delete_bucket(Bucket=bucket)
    assert client.bucket_exists(Bucket=bucket) is False


# --- List parts --------------------------------------------------------------------------------

def test_list_parts_reports_number_size_and_quoted_md5(client, bucket):
    upload_id = open_upload(client, bucket)
    upload_parts(client, bucket, "big.bin", upload_id, [b"x" * 10, SMALL])
    response = client.list_parts(Bucket=bucket, Key="big.bin", UploadId=upload_id)
    assert response["IsTruncated"] == "false"
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in response["Part"]] == [
        ("1", "10", md5_etag(b"x" * 10)), ("2", str(len(SMALL)), md5_etag(SMALL))]
    assert response["UploadId"] == upload_id


def test_list_parts_pages_with_next_part_number_marker(client, bucket):
    upload_id = open_upload(client, bucket)
    upload_parts(client, bucket, "big.bin", upload_id, [b"1", b"2", b"3"])
    first = client.list_parts(Bucket=bucket, Key="big.bin", UploadId=upload_id, MaxParts=2)
    assert first["IsTruncated"] == "true"
    assert [p["PartNumber"] for p in first["Part"]] == ["1", "2"]
    assert first["NextPartNumberMarker"] == "2"
    rest = client.list_parts(Bucket=bucket, Key="big.bin", UploadId=upload_id, MaxParts=2,
                             PartNumberMarker=int(first["NextPartNumberMarker"]))
    assert rest["IsTruncated"] == "false"
    assert [p["PartNumber"] for p in rest["Part"]] == ["3"]


def test_list_parts_of_unknown_upload_is_no_such_upload(client, bucket):
    err = service_error(client.list_parts, Bucket=bucket, Key="big.bin",
                        UploadId="1700000000deadbeef")
    assert err.get_status_code() == 404
    assert err.get_error_code() == "NoSuchUpload"


# --- List multipart uploads --------------------------------------------------------------------

def test_list_multipart_uploads_orders_by_key_then_initiation(client, bucket):
    first = open_upload(client, bucket, key="b key.bin")
    second = open_upload(client, bucket, key="b key.bin")
    other = open_upload(client, bucket, key="a.bin")
    uploads = as_list(client.list_multipart_uploads(Bucket=bucket).get("Upload"))
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [
        ("a.bin", other), ("b key.bin", first), ("b key.bin", second)]
    assert all(u["Initiated"] for u in uploads)


def test_list_multipart_uploads_filters_by_prefix(client, bucket):
    open_upload(client, bucket, key="dir/x.bin")
    open_upload(client, bucket, key="other.bin")
    response = client.list_multipart_uploads(Bucket=bucket, Prefix="dir/")
    assert [u["Key"] for u in as_list(response.get("Upload"))] == ["dir/x.bin"]
    assert response["IsTruncated"] == "false"


def test_list_multipart_uploads_of_empty_bucket_has_no_upload(client, bucket):
    assert "Upload" not in client.list_multipart_uploads(Bucket=bucket)


# --- upload_file / download_file ---------------------------------------------------------------

def test_upload_file_multipart_round_trip(client, bucket, tmp_path):
    data = write_random_file(tmp_path / "big.bin", 3 * MIB + MIB // 2)
    response = client.upload_file(Bucket=bucket, Key="big/file.bin",
                                  LocalFilePath=str(tmp_path / "big.bin"), PartSize=1)
    assert re.fullmatch(r'"[0-9a-f]{32}-4"', response["ETag"])
    assert read_body(client.get_object(Bucket=bucket, Key="big/file.bin")) == data
    assert client.head_object(Bucket=bucket, Key="big/file.bin")["x-cos-hash-crc64ecma"] == \
        crc64(data)
    assert uploads_for(client, bucket, "big/file.bin") == []


def test_upload_file_at_threshold_uses_a_single_put(client, bucket, tmp_path):
    data = write_random_file(tmp_path / "one.bin", MIB)
    response = client.upload_file(Bucket=bucket, Key="one.bin",
                                  LocalFilePath=str(tmp_path / "one.bin"), PartSize=1)
    assert response["ETag"] == md5_etag(data)


def test_upload_file_resumes_an_existing_upload(client, bucket, tmp_path):
    data = write_random_file(tmp_path / "big.bin", 3 * MIB + MIB // 2)
    upload_id = open_upload(client, bucket, key="big/file.bin")
    upload_parts(client, bucket, "big/file.bin", upload_id, [data[:MIB], data[MIB:2 * MIB]])
    client.upload_file(Bucket=bucket, Key="big/file.bin",
                       LocalFilePath=str(tmp_path / "big.bin"), PartSize=1)
    assert read_body(client.get_object(Bucket=bucket, Key="big/file.bin")) == data
    # Had the resume check failed, the SDK would have started a new upload and left this
    # one open.
    assert uploads_for(client, bucket, "big/file.bin") == []


def test_upload_file_with_enable_md5(client, bucket, tmp_path):
    data = write_random_file(tmp_path / "big.bin", 2 * MIB + 7)
    client.upload_file(Bucket=bucket, Key="md5.bin", LocalFilePath=str(tmp_path / "big.bin"),
                       PartSize=1, EnableMD5=True)
    assert read_body(client.get_object(Bucket=bucket, Key="md5.bin")) == data


def test_download_file_over_20_mib_with_crc_check(client, bucket, tmp_path):
    data = write_random_file(tmp_path / "up.bin", 21 * MIB + 12345)
    client.upload_file(Bucket=bucket, Key="huge.bin", LocalFilePath=str(tmp_path / "up.bin"),
                       PartSize=8)
    target = tmp_path / "down.bin"
    client.download_file(Bucket=bucket, Key="huge.bin", DestFilePath=str(target),
                         EnableCRC=True, DumpRecordDir=str(tmp_path / "records"))
    assert target.read_bytes() == data


def test_download_file_small_object(client, bucket, tmp_path):
    client.put_object(Bucket=bucket, Key="small.bin", Body=SMALL)
    target = tmp_path / "small.bin"
    client.download_file(Bucket=bucket, Key="small.bin", DestFilePath=str(target), EnableCRC=True)
    assert target.read_bytes() == SMALL


def test_download_file_in_1_mib_ranges_of_a_multipart_object(client, bucket, tmp_path):
    data = write_random_file(tmp_path / "up.bin", 3 * MIB + MIB // 2)
    client.upload_file(Bucket=bucket, Key="big/file.bin", LocalFilePath=str(tmp_path / "up.bin"),
                       PartSize=1)
    target = tmp_path / "down.bin"
    client.download_file(Bucket=bucket, Key="big/file.bin", DestFilePath=str(target),
                         PartSize=1, EnableCRC=True,
                         DumpRecordDir=str(tmp_path / "records"))
    assert target.read_bytes() == data
