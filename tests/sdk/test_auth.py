"""Signatures (header and presigned), auth errors and error documents (spec §2, §3.1, §5)."""

import time
import xml.etree.ElementTree as ET
from unittest import mock

import pytest
from qcloud_cos import CosConfig, CosS3Client

from support import (REGION, content_md5, error_code, fetch_presigned, make_client,
                     read_body, service_error)

BODY = b"presigned body"
KEY = "dir/a b+c.txt"


@pytest.fixture
def stored(client, bucket):
    client.put_object(Bucket=bucket, Key=KEY, Body=BODY, ContentType="text/plain")
    return bucket


# --- Presigned URLs ----------------------------------------------------------------------------

def test_presigned_get_url_downloads_the_object(server, dns_client, stored):
    url = dns_client.get_presigned_url(Bucket=stored, Key=KEY, Method="GET")
    response = fetch_presigned(server.port, url)
    assert response.status_code == 200
    assert response.content == BODY


def test_presigned_get_url_honours_signed_response_parameters(server, dns_client, stored):
    url = dns_client.get_presigned_url(Bucket=stored, Key=KEY, Method="GET",
                                       Params={"response-content-type": "application/pdf"})
    response = fetch_presigned(server.port, url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"


def test_presigned_put_url_uploads_an_object(server, client, dns_client, bucket):
    url = dns_client.get_presigned_url(Bucket=bucket, Key="up/via url.txt", Method="PUT")
    response = fetch_presigned(server.port, url, method="PUT", data=BODY)
    assert response.status_code == 200
    assert read_body(client.get_object(Bucket=bucket, Key="up/via url.txt")) == BODY


def test_presigned_url_with_signed_header_requires_that_header(server, dns_client, stored):
    url = dns_client.get_presigned_url(Bucket=stored, Key=KEY, Method="GET",
                                       Headers={"Range": "bytes=0-3"})
    assert fetch_presigned(server.port, url, headers={"Range": "bytes=0-3"}).content == BODY[:4]
    response = fetch_presigned(server.port, url)
    assert response.status_code == 403
    assert error_code(response) == "SignatureDoesNotMatch"


def test_presigned_get_url_does_not_authorise_put(server, client, dns_client, stored):
    url = dns_client.get_presigned_url(Bucket=stored, Key=KEY, Method="GET")
    response = fetch_presigned(server.port, url, method="PUT", data=b"overwrite")
    assert response.status_code == 403
    assert error_code(response) == "SignatureDoesNotMatch"
    assert read_body(client.get_object(Bucket=stored, Key=KEY)) == BODY


def test_presigned_url_for_one_key_does_not_open_another(server, client, dns_client, stored):
    client.put_object(Bucket=stored, Key="secret.txt", Body=b"secret")
    url = dns_client.get_presigned_url(Bucket=stored, Key=KEY, Method="GET")
    response = fetch_presigned(server.port, url.replace("/dir/a%20b%2Bc.txt?", "/secret.txt?"))
    assert response.status_code == 403
    assert error_code(response) == "SignatureDoesNotMatch"


def test_expired_presigned_url_is_access_denied(server, dns_client, stored):
    an_hour_ago = time.time() - 3600
    with mock.patch("qcloud_cos.cos_auth.time.time", return_value=an_hour_ago):
        url = dns_client.get_presigned_url(Bucket=stored, Key=KEY, Method="GET", Expired=300)
    response = fetch_presigned(server.port, url)
    assert response.status_code == 403
    assert error_code(response) == "AccessDenied"
    assert "expired" in ET.fromstring(response.content).findtext("Message").lower()


def test_presigned_url_with_unknown_secret_id_is_invalid_access_key_id(server, stored):
    stranger = CosS3Client(CosConfig(Region=REGION, SecretId="AKIDunknown", SecretKey="whatever",
                                     Scheme="http"))
    url = stranger.get_presigned_url(Bucket=stored, Key=KEY, Method="GET")
    response = fetch_presigned(server.port, url)
    assert response.status_code == 403
    assert error_code(response) == "InvalidAccessKeyId"


# --- Header signatures -------------------------------------------------------------------------

def test_wrong_secret_key_is_signature_does_not_match(server, stored):
    intruder = make_client(server.port, SecretKey="not-the-secret-key")
    err = service_error(intruder.get_object, Bucket=stored, Key=KEY)
    assert err.get_status_code() == 403
    assert err.get_error_code() == "SignatureDoesNotMatch"


def test_wrong_secret_key_cannot_write(server, client, stored):
    intruder = make_client(server.port, SecretKey="not-the-secret-key")
    service_error(intruder.put_object, Bucket=stored, Key=KEY, Body=b"overwrite")
    assert read_body(client.get_object(Bucket=stored, Key=KEY)) == BODY


def test_unknown_secret_id_is_invalid_access_key_id(server, stored):
    stranger = make_client(server.port, SecretId="AKIDunknownunknownunknown")
    err = service_error(stranger.list_objects, Bucket=stored)
    assert err.get_status_code() == 403
    assert err.get_error_code() == "InvalidAccessKeyId"


def test_expired_header_signature_is_access_denied(client, stored):
    with mock.patch("qcloud_cos.cos_auth.time.time", return_value=time.time() - 20000):
        err = service_error(client.get_object, Bucket=stored, Key=KEY)
    assert err.get_status_code() == 403
    assert err.get_error_code() == "AccessDenied"


def test_garbage_authorization_is_access_denied(raw, stored):
    response = raw.request("GET", stored, KEY, headers={"Authorization": "q-sign-algorithm=md5"},
                           sign=False)
    assert response.status_code == 403
    assert error_code(response) == "AccessDenied"


def test_signed_header_changed_after_signing_is_signature_does_not_match(raw, client, stored):
    prepared = raw.prepare("PUT", stored, "tamper.txt", data=b"x", headers={"x-cos-meta-a": "1"})
    prepared.headers["x-cos-meta-a"] = "2"
    response = raw.send(prepared)
    assert response.status_code == 403
    assert error_code(response) == "SignatureDoesNotMatch"
    assert client.object_exists(Bucket=stored, Key="tamper.txt") is False


def test_unsigned_header_added_after_signing_is_ignored(raw, stored):
    prepared = raw.prepare("GET", stored, KEY)
    prepared.headers["X-Unsigned-Extra"] = "anything"
    assert raw.send(prepared).status_code == 200


def test_signed_query_parameter_changed_after_signing_is_signature_does_not_match(raw, stored):
    prepared = raw.prepare("GET", stored, params={"prefix": "dir/", "max-keys": "10"})
    prepared.url = prepared.url.replace("max-keys=10", "max-keys=11")
    response = raw.send(prepared)
    assert response.status_code == 403
    assert error_code(response) == "SignatureDoesNotMatch"


def test_form_encoded_query_value_with_space_verifies(raw, stored):
    # requests sends `prefix=dir%2Fa+b`; the SDK signed `dir%2Fa%20b` (spec §2.3 step 5).
    prepared = raw.prepare("GET", stored, params={"prefix": "dir/a b"})
    assert "prefix=dir%2Fa+b" in prepared.url
    response = raw.send(prepared)
    assert response.status_code == 200
    assert b"dir/a" in response.content


def test_sdk_list_buckets_signature_with_port_in_host_is_accepted(service_client):
    # The SDK signs host 127.0.0.1 while the wire says 127.0.0.1:<port> (spec §2.3 step 4),
    # and signs no params although the query carries marker and max-keys.
    assert "Buckets" in service_client.list_buckets()


def test_retried_request_with_signed_retry_header_is_accepted(raw, stored):
    response = raw.request("GET", stored, KEY, headers={"x-cos-sdk-retry": "true"})
    assert response.status_code == 200


# --- Error documents ---------------------------------------------------------------------------

def test_error_fields_are_all_meaningful(client, bucket):
    err = service_error(client.get_object, Bucket=bucket, Key="missing.txt")
    assert err.get_error_code() == "NoSuchKey"
    for value in (err.get_error_msg(), err.get_request_id(), err.get_trace_id(),
                  err.get_resource_location()):
        assert value and value != "Unknown"


def test_error_response_headers(raw, bucket):
    response = raw.request("GET", bucket, "missing.txt")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/xml")
    assert response.headers["x-cos-trace-id"]
    assert "x-cos-error-code" not in response.headers
    body = ET.fromstring(response.content)
    assert body.tag == "Error"
    assert body.findtext("RequestId") == response.headers["x-cos-request-id"]


def test_error_header_names_use_exact_spelling(raw, bucket):
    response = raw.request("GET", bucket, "missing.txt")
    names = set(response.headers.keys())
    assert {"x-cos-request-id", "x-cos-trace-id", "Content-Type", "Content-Length"} <= names


def test_every_response_carries_a_request_id(client, raw, bucket):
    assert client.put_object(Bucket=bucket, Key="a", Body=b"a")["x-cos-request-id"]
    ids = {raw.request("HEAD", bucket, "a").headers["x-cos-request-id"] for _ in range(3)}
    assert len(ids) == 3


def test_malformed_delete_body_is_malformed_xml(raw, client, bucket):
    client.put_object(Bucket=bucket, Key="a", Body=b"a")
    body = b"<Delete><Object><Key>a</Key></Object"
    response = raw.request("POST", bucket, params={"delete": ""}, data=body,
                           headers={"Content-MD5": content_md5(body),
                                    "Content-Type": "application/xml"})
    assert response.status_code == 400
    assert error_code(response) == "MalformedXML"
    assert client.object_exists(Bucket=bucket, Key="a") is True


def test_delete_body_with_wrong_content_md5_is_bad_digest(raw, client, bucket):
    client.put_object(Bucket=bucket, Key="a", Body=b"a")
    body = b"<Delete><Object><Key>a</Key></Object></Delete>"
    response = raw.request("POST", bucket, params={"delete": ""}, data=body,
                           headers={"Content-MD5": content_md5(b"other"),
                                    "Content-Type": "application/xml"})
    assert response.status_code == 400
    assert error_code(response) == "BadDigest"
    assert client.object_exists(Bucket=bucket, Key="a") is True
