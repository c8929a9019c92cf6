"""`default_bucket`: hosts that name no bucket (IP address, custom domain) reach one configured
bucket, so presigned URLs made by a client pointed at an IP address work (spec §1.3 modes A and
D)."""

import requests

from support import Server, find_binary, make_client, new_bucket_name, service_error


def test_presigned_urls_of_an_ip_client_reach_the_default_bucket():
    bucket = new_bucket_name()
    server = Server(find_binary(), extra_env={"BUCKETFLOW_DEFAULT_BUCKET": bucket})
    server.start()
    try:
        client = make_client(server.port)
        client.create_bucket(Bucket=bucket)
        client.put_object(Bucket=bucket, Key="dir/a b.txt", Body=b"presigned")

        # Mode A signs host 127.0.0.1, which names no bucket.
        url = client.get_presigned_url(Bucket=bucket, Key="dir/a b.txt", Method="GET")
        assert url.startswith(f"http://127.0.0.1:{server.port}/")
        response = requests.get(url)
        assert response.status_code == 200
        assert response.content == b"presigned"

        put_url = client.get_presigned_url(Bucket=bucket, Key="up.txt", Method="PUT")
        assert requests.put(put_url, data=b"uploaded").status_code == 200
        body = client.get_object(Bucket=bucket, Key="up.txt")["Body"].get_raw_stream().read()
        assert body == b"uploaded"

        # A tampered URL is still refused.
        assert requests.get(url.replace("dir/a%20b.txt", "up.txt")).status_code == 403
    finally:
        server.stop()


def test_domain_mode_clients_work_on_the_default_bucket():
    bucket = new_bucket_name()
    server = Server(find_binary(), extra_env={"BUCKETFLOW_DEFAULT_BUCKET": bucket})
    server.start()
    try:
        setup = make_client(server.port)
        setup.create_bucket(Bucket=bucket)
        domain = make_client(server.port, IP=None, Port=None, Domain=f"127.0.0.1:{server.port}")
        domain.put_object(Bucket=bucket, Key="k.txt", Body=b"domain")
        assert domain.head_object(Bucket=bucket, Key="k.txt")["Content-Length"] == "6"
        error = service_error(domain.get_object, Bucket=bucket, Key="missing.txt")
        assert error.get_error_code() == "NoSuchKey"
    finally:
        server.stop()
