"""Buckets: PUT / HEAD / DELETE Bucket and GET Service (spec §4.1-4.4, §6.1)."""

from support import APPID, REGION, as_list, new_bucket_name, service_error


def listed_buckets(service_client, **kwargs):
    response = service_client.list_buckets(**kwargs)
    return as_list((response["Buckets"] or {}).get("Bucket")), response


def test_created_bucket_exists(client):
    name = new_bucket_name()
    assert client.create_bucket(Bucket=name) is None
    assert client.bucket_exists(Bucket=name) is True


def test_head_bucket_reports_region(client, bucket):
    headers = client.head_bucket(Bucket=bucket)
    assert headers["x-cos-bucket-region"] == REGION
    assert headers["x-cos-request-id"]


def test_create_existing_bucket_is_bucket_already_owned_by_you(client, bucket):
    err = service_error(client.create_bucket, Bucket=bucket)
    assert err.get_status_code() == 409
    assert err.get_error_code() == "BucketAlreadyOwnedByYou"


def test_head_missing_bucket_is_404_with_request_and_trace_ids(client):
    err = service_error(client.head_bucket, Bucket=new_bucket_name())
    assert err.get_status_code() == 404
    # The SDK synthesises the code for a bodiless HEAD 404 and copies the ids from headers.
    assert err.get_request_id() not in ("", "Unknown")
    assert err.get_trace_id() not in ("", "Unknown")


def test_bucket_exists_is_false_for_missing_bucket(client):
    assert client.bucket_exists(Bucket=new_bucket_name()) is False


def test_delete_empty_bucket_removes_it(client):
    name = new_bucket_name()
    client.create_bucket(Bucket=name)
    client.delete_bucket(Bucket=name)
    assert client.bucket_exists(Bucket=name) is False


def test_deleted_bucket_name_can_be_created_again(client):
    name = new_bucket_name()
    client.create_bucket(Bucket=name)
    client.delete_bucket(Bucket=name)
    client.create_bucket(Bucket=name)
    assert client.bucket_exists(Bucket=name) is True


def test_delete_bucket_with_object_is_bucket_not_empty(client, bucket):
    client.put_object(Bucket=bucket, Key="keep.txt", Body=b"x")
    err = service_error(client.delete_bucket, Bucket=bucket)
    assert err.get_status_code() == 409
    assert err.get_error_code() == "BucketNotEmpty"
    assert client.object_exists(Bucket=bucket, Key="keep.txt") is True


def test_delete_bucket_with_open_multipart_upload_is_bucket_not_empty(client, bucket):
    client.create_multipart_upload(Bucket=bucket, Key="open.bin")
    err = service_error(client.delete_bucket, Bucket=bucket)
    assert err.get_status_code() == 409
    assert err.get_error_code() == "BucketNotEmpty"


def test_delete_missing_bucket_is_no_such_bucket(client):
    err = service_error(client.delete_bucket, Bucket=new_bucket_name())
    assert err.get_status_code() == 404
    assert err.get_error_code() == "NoSuchBucket"


def test_put_object_into_missing_bucket_is_no_such_bucket(client):
    err = service_error(client.put_object, Bucket=new_bucket_name(), Key="a", Body=b"x")
    assert err.get_status_code() == 404
    assert err.get_error_code() == "NoSuchBucket"


def test_list_objects_of_missing_bucket_is_no_such_bucket(client):
    err = service_error(client.list_objects, Bucket=new_bucket_name())
    assert err.get_status_code() == 404
    assert err.get_error_code() == "NoSuchBucket"


def test_bucket_name_ending_in_dash_is_invalid_bucket_name(client):
    # The SDK accepts it client-side; only the server's rule (spec §6.1) rejects it.
    err = service_error(client.create_bucket, Bucket=f"bad--{APPID}")
    assert err.get_status_code() == 400
    assert err.get_error_code() == "InvalidBucketName"


def test_bucket_name_longer_than_a_dns_label_is_invalid_bucket_name(client):
    err = service_error(client.create_bucket, Bucket="a" * 60 + f"-{APPID}")
    assert err.get_status_code() == 400
    assert err.get_error_code() == "InvalidBucketName"


def test_list_buckets_includes_created_bucket_with_location(service_client, bucket):
    buckets, response = listed_buckets(service_client)
    entry = next(b for b in buckets if b["Name"] == bucket)
    assert entry["Location"] == REGION
    assert entry["CreationDate"]
    assert response["Owner"]["ID"]
    assert response["IsTruncated"] == "false"


def test_list_buckets_is_in_byte_order(service_client, bucket, other_bucket):
    names = [b["Name"] for b in listed_buckets(service_client)[0]]
    assert names == sorted(names, key=lambda n: n.encode())


def test_list_buckets_pages_with_marker(service_client, bucket, other_bucket):
    everything = [b["Name"] for b in listed_buckets(service_client)[0]]
    seen, marker = [], ""
    while True:
        page, response = listed_buckets(service_client, Marker=marker, MaxKeys=1)
        seen += [b["Name"] for b in page]
        if response["IsTruncated"] == "false":
            break
        assert len(page) == 1
        marker = response["NextMarker"]
    assert seen == everything


def test_list_buckets_omits_deleted_bucket(client, service_client):
    name = new_bucket_name()
    client.create_bucket(Bucket=name)
    client.delete_bucket(Bucket=name)
    assert name not in [b["Name"] for b in listed_buckets(service_client)[0]]
