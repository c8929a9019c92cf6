"""Fixtures: one real `bucketflow` process for the session, driven by the official SDK."""

import shutil

import pytest

from support import (REGION, SECRET_ID, SECRET_KEY, RawClient, Server, find_binary,
                     make_client, new_bucket_name)


@pytest.fixture(scope="session")
def server():
    srv = Server(find_binary())
    srv.start()
    yield srv
    srv.stop()
    shutil.rmtree(srv.workdir, ignore_errors=True)


@pytest.fixture
def restart_server(server):
    """Call it to restart the server on the same data dir and port."""
    return server.restart


@pytest.fixture(scope="session")
def client(server):
    return make_client(server.port)


@pytest.fixture(scope="session")
def anonymous_client(server):
    return make_client(server.port, SecretId=None, SecretKey=None, Anonymous=True)


@pytest.fixture(scope="session")
def service_client(server):
    """For list_buckets, which ignores IP and goes to the service host (spec §1.3)."""
    return make_client(server.port, IP=None, Port=None,
                       ServiceDomain=f"127.0.0.1:{server.port}")


@pytest.fixture(scope="session")
def dns_client():
    """Signs for the real endpoint (`<bucket>.cos.<region>.myqcloud.com`): for presigned URLs,
    which in mode A would name no bucket. Never sends a request itself."""
    from qcloud_cos import CosConfig, CosS3Client

    return CosS3Client(CosConfig(Region=REGION, SecretId=SECRET_ID, SecretKey=SECRET_KEY,
                                 Scheme="http"))


@pytest.fixture(scope="session")
def raw(server):
    return RawClient(server.port)


@pytest.fixture
def bucket(client):
    name = new_bucket_name()
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def other_bucket(client):
    name = new_bucket_name()
    client.create_bucket(Bucket=name)
    return name


def pytest_runtest_makereport(item, call):
    """Attach the server's log tail to failing tests: most failures are server-side."""
    if call.when == "call" and call.excinfo is not None:
        srv = getattr(item, "funcargs", {}).get("server")
        if srv is not None:
            item.add_report_section("call", "bucketflow log", srv.log_tail(20))
