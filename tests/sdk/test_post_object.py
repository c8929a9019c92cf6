"""POST Object: browser form uploads signed with a policy (no Authorization header), and the
workflows they trigger."""

import base64
import hashlib
import hmac
import json
import time

import requests

from support import (SECRET_ID, SECRET_KEY, bucket_host, corpus_case, create_inspect_workflow,
                     list_executions, service_error, wait_for_executions)


def signed_form(bucket, conditions, key="uploads/${filename}", expires_in=600, secret=SECRET_KEY,
                **fields):
    """The form fields of a POST Object upload, signed the COS way."""
    now = int(time.time())
    key_time = f"{now - 60};{now + expires_in}"
    expiration = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now + expires_in))
    policy = json.dumps({"expiration": expiration, "conditions": [
        {"bucket": bucket}, {"q-sign-algorithm": "sha1"}, {"q-ak": SECRET_ID},
        {"q-sign-time": key_time}, *conditions]}).encode()
    sign_key = hmac.new(secret.encode(), key_time.encode(), hashlib.sha1).hexdigest()
    string_to_sign = hashlib.sha1(policy).hexdigest()
    signature = hmac.new(sign_key.encode(), string_to_sign.encode(), hashlib.sha1).hexdigest()
    form = {"key": key, "policy": base64.b64encode(policy).decode(), "q-sign-algorithm": "sha1",
            "q-ak": SECRET_ID, "q-key-time": key_time, "q-sign-time": key_time,
            "q-signature": signature}
    form.update(fields)
    return form


def post(server, bucket, form, filename="photo one.png", data=b"posted bytes"):
    return requests.post(f"http://127.0.0.1:{server.port}/", data=form,
                         files={"file": (filename, data, "image/png")},
                         headers={"Host": bucket_host(bucket)})


def test_a_signed_form_upload_stores_the_object(server, client, bucket):
    form = signed_form(bucket, [["starts-with", "$key", "uploads/"]],
                       **{"x-cos-meta-owner": "alice", "Cache-Control": "no-cache"})
    response = post(server, bucket, form)
    assert response.status_code == 204, response.text
    assert response.headers["ETag"] == '"%s"' % hashlib.md5(b"posted bytes").hexdigest()

    stored = client.get_object(Bucket=bucket, Key="uploads/photo one.png")
    assert stored["Body"].get_raw_stream().read() == b"posted bytes"
    assert stored["Content-Type"] == "image/png"
    assert stored["x-cos-meta-owner"] == "alice"
    assert stored["Cache-Control"] == "no-cache"


def test_success_action_status_201_answers_a_post_response(server, bucket):
    form = signed_form(bucket, [], key="fixed.txt", success_action_status="201")
    response = post(server, bucket, form)
    assert response.status_code == 201
    assert "<Key>fixed.txt</Key>" in response.text
    assert "<ETag>" in response.text


def test_a_wrong_signature_is_refused_and_stores_nothing(server, client, bucket):
    form = signed_form(bucket, [], key="bad.txt", secret="not-the-secret")
    response = post(server, bucket, form)
    assert response.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in response.text
    assert not client.object_exists(Bucket=bucket, Key="bad.txt")


def test_a_field_the_policy_does_not_allow_is_refused(server, client, bucket):
    form = signed_form(bucket, [["starts-with", "$key", "uploads/"]], key="elsewhere.txt")
    response = post(server, bucket, form)
    assert response.status_code == 403
    assert "key" in response.text
    assert not client.object_exists(Bucket=bucket, Key="elsewhere.txt")


def test_a_file_outside_the_length_range_is_refused_and_not_stored(server, client, bucket):
    form = signed_form(bucket, [["content-length-range", 0, 4]], key="big.txt")
    response = post(server, bucket, form, data=b"more than four bytes")
    assert response.status_code == 400
    assert "<Code>EntityTooLarge</Code>" in response.text
    assert not client.object_exists(Bucket=bucket, Key="big.txt")


def test_an_expired_form_is_refused(server, bucket):
    form = signed_form(bucket, [], key="late.txt", expires_in=-120)
    response = post(server, bucket, form)
    assert response.status_code == 403


def test_an_unsigned_form_into_a_private_bucket_is_refused(server, client, bucket):
    response = post(server, bucket, {"key": "anon.txt"})
    assert response.status_code == 403
    assert not client.object_exists(Bucket=bucket, Key="anon.txt")


def test_a_form_without_a_file_is_malformed(server, bucket):
    form = signed_form(bucket, [], key="nofile.txt")
    response = requests.post(f"http://127.0.0.1:{server.port}/", files={
        name: (None, value) for name, value in form.items()}, headers={"Host": bucket_host(bucket)})
    assert response.status_code == 400
    assert "<Code>MalformedPOSTRequest</Code>" in response.text


def test_a_form_upload_starts_the_workflows_it_matches(server, client, bucket):
    case = corpus_case(next(iter(abnormal_png_paths())))
    workflow_id = create_inspect_workflow(client, bucket, prefix="uploads/")
    form = signed_form(bucket, [], key="uploads/${filename}")
    assert post(server, bucket, form, filename="hidden.png", data=case.data).status_code == 204

    executions = wait_for_executions(client, bucket, workflow_id, 1)
    assert [e["Object"] for e in executions] == ["uploads/hidden.png"]
    assert executions[0]["State"] == "Success"
    assert service_error(client.head_object, Bucket=bucket, Key="uploads/hidden.png")
    assert len(list_executions(client, bucket, workflow_id)) == 1


def abnormal_png_paths():
    from support import CORPUS
    for line in (CORPUS / "manifest.tsv").read_text().splitlines()[1:]:
        row = line.split("\t")
        if row[0].startswith("abnormal/") and row[2] == "png" and row[7] == "MPEG-TS":
            yield row[0]
