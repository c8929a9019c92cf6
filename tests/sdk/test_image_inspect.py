"""The synchronous ImageInspect API on objects, as the SDK calls it: `ci_image_inspect`
(`GET /<key>?imageInspect`) and `ci_process(CiProcess='ImageInspect')`
(`GET /<key>?ci-process=ImageInspect`)."""

import json

import pytest

from support import (CORPUS, Server, find_binary, make_client, new_bucket_name,
                     service_error)

# One clean and one abnormal image of every format, plus a pure TS stream and a payload hidden
# inside a valid structure, chosen from the manifest by what they are, not by file name.
CASES = [
    ("clean/", "jpeg", "false", None),
    ("clean/", "png", "false", None),
    ("clean/", "gif", "false", None),
    ("clean/", "bmp", "false", None),
    ("clean/", "webp", "false", None),
    ("abnormal/", "jpeg", "true", "MPEG-TS"),
    ("abnormal/", "png", "true", "MPEG-TS"),
    ("abnormal/", "bmp", "true", "MPEG-TS"),
    ("abnormal/", "gif", "true", None),
    ("abnormal/", "webp", "true", "7Z"),
    ("abnormal/", "-", "true", "MPEG-TS"),
]


def manifest_rows():
    header, *lines = (CORPUS / "manifest.tsv").read_text().splitlines()
    names = header.split("\t")
    return [dict(zip(names, line.split("\t"))) for line in lines]


def pick(folder, pic_type, suspicious, payload):
    for row in manifest_rows():
        if (row["path"].startswith(folder) and row["picType"] == pic_type
                and row["suspicious"] == suspicious
                and (payload is None or row["suspiciousType"] == payload)
                and (CORPUS / row["path"]).stat().st_size < 4 * 1024 * 1024):
            return row
    pytest.fail(f"the corpus has no {folder} {pic_type} {payload} case under 4 MiB")


def expected_answer(row):
    data = (CORPUS / row["path"]).read_bytes()
    answer = {"picSize": len(data),
              "picType": "unknown" if row["picType"] == "-" else row["picType"],
              "suspicious": row["suspicious"] == "true"}
    if answer["suspicious"]:
        answer.update(suspiciousBeginByte=int(row["begin"]), suspiciousEndByte=int(row["end"]),
                      suspiciousSize=int(row["size"]), suspiciousType=row["suspiciousType"])
    return data, answer


@pytest.mark.parametrize("folder,pic_type,suspicious,payload", CASES,
                         ids=[f"{c[0].strip('/')}-{c[1]}-{c[3] or 'none'}" for c in CASES])
def test_ci_image_inspect_answers_the_vendor_json(client, bucket, folder, pic_type, suspicious,
                                                  payload):
    row = pick(folder, pic_type, suspicious, payload)
    data, expected = expected_answer(row)
    key = "inspect/" + row["path"].replace("/", "_")
    client.put_object(Bucket=bucket, Key=key, Body=data)

    headers, body = client.ci_image_inspect(Bucket=bucket, Key=key)
    assert headers["Content-Type"] == "application/json"
    answer = json.loads(body)
    assert answer == expected
    assert list(answer) == list(expected), "fields in the vendor's order"


def test_ci_process_parses_the_same_answer(client, bucket):
    row = pick("abnormal/", "png", "true", "MPEG-TS")
    data, expected = expected_answer(row)
    client.put_object(Bucket=bucket, Key="test/a b+c.png", Body=data)
    headers, answer = client.ci_process(Bucket=bucket, Key="test/a b+c.png",
                                        CiProcess="ImageInspect", NeedHeader=True)
    assert answer == expected
    assert headers["x-cos-request-id"]


def test_a_missing_object_is_no_such_key(client, bucket):
    error = service_error(client.ci_image_inspect, Bucket=bucket, Key="nothing.png")
    assert error.get_status_code() == 404
    assert error.get_error_code() == "NoSuchKey"


def test_an_object_that_is_not_an_image_is_refused(client, bucket):
    client.put_object(Bucket=bucket, Key="notes.txt", Body=b"plain text, no image here")
    error = service_error(client.ci_image_inspect, Bucket=bucket, Key="notes.txt")
    assert error.get_status_code() == 400
    assert error.get_error_code() == "InvalidImageFormat"
    assert "supported" in error.get_error_msg()


def test_an_object_over_the_configured_limit_is_refused():
    server = Server(find_binary(), extra_env={"BUCKETFLOW_INSPECT_MAX_BYTES": "1000"})
    server.start()
    try:
        client = make_client(server.port)
        bucket = new_bucket_name()
        client.create_bucket(Bucket=bucket)
        client.put_object(Bucket=bucket, Key="big.png", Body=b"\x89PNG" + b"\0" * 2000)
        error = service_error(client.ci_image_inspect, Bucket=bucket, Key="big.png")
        assert error.get_status_code() == 400
        assert error.get_error_code() == "InvalidArgument"
        assert "1000" in error.get_error_msg()
    finally:
        server.stop()


def test_anonymous_inspection_is_denied_on_a_private_object(client, anonymous_client, bucket):
    row = pick("clean/", "png", "false", None)
    client.put_object(Bucket=bucket, Key="private.png", Body=(CORPUS / row["path"]).read_bytes())
    error = service_error(anonymous_client.ci_image_inspect, Bucket=bucket, Key="private.png")
    assert error.get_status_code() == 403
