"""Object ACL and anonymous access (spec §2.1, §4.12)."""

import pytest

from support import new_bucket_name, read_body, service_error

ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
BODY = b"acl body"


@pytest.fixture
def obj(client, bucket):
    client.put_object(Bucket=bucket, Key="obj.txt", Body=BODY)
    return bucket


def canned(client, bucket, key="obj.txt"):
    return client.get_object_acl(Bucket=bucket, Key=key)["CannedACL"]


def assert_access_denied(call, *args, **kwargs):
    err = service_error(call, *args, **kwargs)
    assert err.get_status_code() == 403
    return err


# --- ACL as the SDK reports it -----------------------------------------------------------------

def test_new_object_acl_is_default(client, obj):
    assert canned(client, obj) == "default"


def test_default_acl_grants_the_owner_full_control(client, obj):
    acl = client.get_object_acl(Bucket=obj, Key="obj.txt")
    assert acl["Owner"]["ID"]
    grants = acl["AccessControlList"]["Grant"]
    assert len(grants) == 1
    assert grants[0]["Permission"] == "FULL_CONTROL"
    assert grants[0]["Grantee"]["ID"] == acl["Owner"]["ID"]


def test_put_object_acl_public_read_is_reported_as_public_read(client, obj):
    client.put_object_acl(Bucket=obj, Key="obj.txt", ACL="public-read")
    assert canned(client, obj) == "public-read"


def test_public_read_grant_is_exactly_the_all_users_group(client, obj):
    client.put_object_acl(Bucket=obj, Key="obj.txt", ACL="public-read")
    grants = client.get_object_acl(Bucket=obj, Key="obj.txt")["AccessControlList"]["Grant"]
    expected = {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}
    assert expected in grants


def test_put_object_acl_private_is_reported_as_private(client, obj):
    client.put_object_acl(Bucket=obj, Key="obj.txt", ACL="private")
    assert canned(client, obj) == "private"


def test_put_object_acl_default_restores_default(client, obj):
    client.put_object_acl(Bucket=obj, Key="obj.txt", ACL="public-read")
    client.put_object_acl(Bucket=obj, Key="obj.txt", ACL="default")
    assert canned(client, obj) == "default"


def test_put_object_with_acl_header_sets_the_acl(client, bucket):
    client.put_object(Bucket=bucket, Key="pub.txt", Body=BODY, ACL="public-read")
    assert canned(client, bucket, "pub.txt") == "public-read"


def test_overwrite_without_acl_header_resets_acl_to_default(client, bucket):
    client.put_object(Bucket=bucket, Key="pub.txt", Body=BODY, ACL="public-read")
    client.put_object(Bucket=bucket, Key="pub.txt", Body=BODY)
    assert canned(client, bucket, "pub.txt") == "default"


def test_put_object_acl_with_policy_body_grants_public_read(client, obj):
    owner = client.get_object_acl(Bucket=obj, Key="obj.txt")["Owner"]["ID"]
    grantee = {"@xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "@xsi:type": "Group",
               "URI": ALL_USERS}
    policy = {"Owner": {"ID": owner},
              "AccessControlList": {"Grant": [{"Grantee": grantee, "Permission": "READ"}]}}
    client.put_object_acl(Bucket=obj, Key="obj.txt", AccessControlPolicy=policy)
    assert canned(client, obj) == "public-read"


def test_put_object_acl_with_bucket_only_canned_value_is_invalid_argument(client, obj):
    err = service_error(client.put_object_acl, Bucket=obj, Key="obj.txt", ACL="public-read-write")
    assert err.get_status_code() == 400
    assert err.get_error_code() == "InvalidArgument"


def test_get_object_acl_of_missing_key_is_no_such_key(client, bucket):
    err = service_error(client.get_object_acl, Bucket=bucket, Key="missing.txt")
    assert err.get_status_code() == 404
    assert err.get_error_code() == "NoSuchKey"


def test_put_object_acl_of_missing_key_is_no_such_key(client, bucket):
    err = service_error(client.put_object_acl, Bucket=bucket, Key="missing.txt", ACL="private")
    assert err.get_status_code() == 404
    assert err.get_error_code() == "NoSuchKey"


# --- Anonymous access --------------------------------------------------------------------------

def test_anonymous_get_of_public_read_object_succeeds(client, anonymous_client, obj):
    client.put_object_acl(Bucket=obj, Key="obj.txt", ACL="public-read")
    assert read_body(anonymous_client.get_object(Bucket=obj, Key="obj.txt")) == BODY


def test_anonymous_head_of_public_read_object_succeeds(client, anonymous_client, obj):
    client.put_object_acl(Bucket=obj, Key="obj.txt", ACL="public-read")
    assert anonymous_client.head_object(Bucket=obj, Key="obj.txt")["Content-Length"] == "8"


def test_anonymous_get_of_default_acl_object_in_private_bucket_is_access_denied(
        anonymous_client, obj):
    err = assert_access_denied(anonymous_client.get_object, Bucket=obj, Key="obj.txt")
    assert err.get_error_code() == "AccessDenied"


def test_anonymous_get_of_private_object_is_access_denied(client, anonymous_client, obj):
    client.put_object_acl(Bucket=obj, Key="obj.txt", ACL="private")
    err = assert_access_denied(anonymous_client.get_object, Bucket=obj, Key="obj.txt")
    assert err.get_error_code() == "AccessDenied"


def test_anonymous_access_ends_when_acl_goes_back_to_private(client, anonymous_client, obj):
    client.put_object_acl(Bucket=obj, Key="obj.txt", ACL="public-read")
    client.put_object_acl(Bucket=obj, Key="obj.txt", ACL="private")
    assert_access_denied(anonymous_client.get_object, Bucket=obj, Key="obj.txt")


def test_anonymous_put_is_access_denied_even_over_public_read_object(
        client, anonymous_client, obj):
    client.put_object_acl(Bucket=obj, Key="obj.txt", ACL="public-read")
    err = assert_access_denied(anonymous_client.put_object, Bucket=obj, Key="obj.txt", Body=b"x")
    assert err.get_error_code() == "AccessDenied"
    assert read_body(client.get_object(Bucket=obj, Key="obj.txt")) == BODY


def test_anonymous_delete_is_access_denied(client, anonymous_client, obj):
    client.put_object_acl(Bucket=obj, Key="obj.txt", ACL="public-read")
    assert_access_denied(anonymous_client.delete_object, Bucket=obj, Key="obj.txt")
    assert client.object_exists(Bucket=obj, Key="obj.txt") is True


def test_anonymous_list_objects_is_access_denied(anonymous_client, obj):
    err = assert_access_denied(anonymous_client.list_objects, Bucket=obj)
    assert err.get_error_code() == "AccessDenied"


def test_anonymous_get_object_acl_is_access_denied(client, anonymous_client, obj):
    client.put_object_acl(Bucket=obj, Key="obj.txt", ACL="public-read")
    assert_access_denied(anonymous_client.get_object_acl, Bucket=obj, Key="obj.txt")


def test_anonymous_create_bucket_is_access_denied(anonymous_client):
    assert_access_denied(anonymous_client.create_bucket, Bucket=new_bucket_name())
