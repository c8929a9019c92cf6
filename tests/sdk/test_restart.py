"""A restart on the same data dir loses nothing (DESIGN: the database is the source of truth)."""

from support import as_list, md5_etag, read_body

BODY = b"survives restarts"


def test_buckets_objects_metadata_and_acls_survive_a_restart(
        client, service_client, anonymous_client, bucket, restart_server):
    client.put_object(Bucket=bucket, Key="keep/me.txt", Body=BODY, ContentType="text/plain",
                      CacheControl="no-store", Metadata={"x-cos-meta-author": "alice"},
                      ACL="public-read")
    client.put_object(Bucket=bucket, Key="private.txt", Body=b"p", ACL="private")

    restart_server()

    listed = as_list(service_client.list_buckets()["Buckets"]["Bucket"])
    assert bucket in [b["Name"] for b in listed]
    head = client.head_object(Bucket=bucket, Key="keep/me.txt")
    assert head["ETag"] == md5_etag(BODY)
    assert head["Content-Type"] == "text/plain"
    assert head["Cache-Control"] == "no-store"
    assert head["x-cos-meta-author"] == "alice"
    assert read_body(client.get_object(Bucket=bucket, Key="keep/me.txt")) == BODY
    assert client.get_object_acl(Bucket=bucket, Key="keep/me.txt")["CannedACL"] == "public-read"
    assert client.get_object_acl(Bucket=bucket, Key="private.txt")["CannedACL"] == "private"
    assert read_body(anonymous_client.get_object(Bucket=bucket, Key="keep/me.txt")) == BODY


def test_deleted_object_stays_deleted_after_a_restart(client, bucket, restart_server):
    client.put_object(Bucket=bucket, Key="gone.txt", Body=b"g")
    client.delete_object(Bucket=bucket, Key="gone.txt")

    restart_server()

    assert client.object_exists(Bucket=bucket, Key="gone.txt") is False


def test_open_multipart_upload_can_be_completed_after_a_restart(client, bucket, restart_server):
    upload_id = client.create_multipart_upload(Bucket=bucket, Key="mp.bin")["UploadId"]
    etag = client.upload_part(Bucket=bucket, Key="mp.bin", Body=b"part one", PartNumber=1,
                              UploadId=upload_id)["ETag"]

    restart_server()

    client.complete_multipart_upload(Bucket=bucket, Key="mp.bin", UploadId=upload_id,
                                     MultipartUpload={"Part": [{"PartNumber": 1, "ETag": etag}]})
    assert read_body(client.get_object(Bucket=bucket, Key="mp.bin")) == b"part one"
