"""Shared constants and helpers for the SDK suite (fixtures live in conftest.py)."""

import base64
import hashlib
import itertools
import json
import os
import secrets
import socket
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlsplit

import crcmod
import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client, CosServiceError
from qcloud_cos.cos_auth import CosS3Auth

SECRET_ID = "AKIDbucketflowTESTtestTESTtest0001"
SECRET_KEY = "bucketflowTESTsecretKEYtest00001"
APPID = "1250000000"
REGION = "ap-guangzhou"
COS_ENDPOINT = f"cos.{REGION}.myqcloud.com"
MIB = 1024 * 1024

_crc64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)


def crc64(data: bytes) -> str:
    """CRC-64/XZ as COS sends it in `x-cos-hash-crc64ecma` (decimal)."""
    return str(_crc64(data))


def md5_etag(data: bytes) -> str:
    return '"%s"' % hashlib.md5(data).hexdigest()


def content_md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def new_bucket_name() -> str:
    return f"t{secrets.token_hex(6)}-{APPID}"


def bucket_host(bucket: str) -> str:
    return f"{bucket}.{COS_ENDPOINT}"


def as_list(value):
    """The SDK turns one repeated element into a scalar and none into a missing key."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def read_body(response) -> bytes:
    return response["Body"].get_raw_stream().read()


def service_error(call, *args, **kwargs) -> CosServiceError:
    """Run an SDK call that must fail with a COS service error, and return the error."""
    with pytest.raises(CosServiceError) as info:
        call(*args, **kwargs)
    return info.value


def make_client(port: int, **overrides) -> CosS3Client:
    """A mode-A client (spec §1.3): requests go to 127.0.0.1:port with the COS Host header."""
    options = dict(Region=REGION, SecretId=SECRET_ID, SecretKey=SECRET_KEY, Scheme="http",
                   IP="127.0.0.1", Port=port)
    options.update(overrides)
    return CosS3Client(CosConfig(**options))


def error_code(response: requests.Response) -> str:
    return ET.fromstring(response.content).findtext("Code")


class RawClient:
    """Signed requests built by hand, for what the SDK refuses to send or hides (statuses,
    headers, malformed bodies). Signed by the SDK's own `CosS3Auth`, as in mode A."""

    def __init__(self, port: int, secret_id: str = SECRET_ID, secret_key: str = SECRET_KEY):
        self.port = port
        self.conf = CosConfig(Region=REGION, SecretId=secret_id, SecretKey=secret_key,
                              Scheme="http", IP="127.0.0.1", Port=port)

    def prepare(self, method, bucket, key="", params=None, headers=None, data=None, sign=True):
        params = dict(params or {})
        headers = {"Host": bucket_host(bucket), **(headers or {})}
        path = quote(key.lstrip("/"), safe="/-_.~").replace("./", ".%2F")
        url = f"http://127.0.0.1:{self.port}/{path}"
        prepared = requests.Request(method, url, params=params, headers=headers,
                                    data=data).prepare()
        if sign:
            CosS3Auth(self.conf, key or None, params=params)(prepared)
        return prepared

    def send(self, prepared) -> requests.Response:
        with requests.Session() as session:
            return session.send(prepared, allow_redirects=False, timeout=30)

    def request(self, method, bucket, key="", **kwargs) -> requests.Response:
        return self.send(self.prepare(method, bucket, key, **kwargs))


def fetch_presigned(port: int, url: str, method: str = "GET", **kwargs) -> requests.Response:
    """Fetch a presigned URL made for the real endpoint as if DNS pointed it at us: connect to
    127.0.0.1:port but keep the URL's host in the Host header."""
    parts = urlsplit(url)
    local = f"http://127.0.0.1:{port}{parts.path}?{parts.query}"
    headers = {"Host": parts.hostname, **kwargs.pop("headers", {})}
    return requests.request(method, local, headers=headers, allow_redirects=False, timeout=30,
                            **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_binary() -> Path:
    explicit = os.environ.get("BUCKETFLOW_BIN")
    if explicit:
        return Path(explicit)
    root = Path(__file__).resolve().parents[2]
    target = Path(os.environ.get("CARGO_TARGET_DIR", root / "target"))
    for profile in ("release", "debug"):
        candidate = target / profile / "bucketflow"
        if candidate.exists():
            return candidate
    pytest.exit("bucketflow binary not found: set BUCKETFLOW_BIN or run scripts/test.sh", 2)


class Server:
    """The real `bucketflow serve` on a loopback port with its own data dir."""

    def __init__(self, binary: Path, extra_env: dict = None):
        self.binary = binary
        # Merged into the environment after the BUCKETFLOW_* stripping, on every start.
        self.extra_env = dict(extra_env or {})
        self.workdir = Path(tempfile.mkdtemp(prefix="bucketflow-sdk-"))
        self.data_dir = self.workdir / "data"
        self.data_dir.mkdir()
        self.log_path = self.workdir / "server.log"
        self.port = free_port()
        self.process = None

    def start(self, timeout: float = 30.0, extra_env: dict = None):
        """`extra_env`, when given, replaces the one given to `__init__` from now on."""
        if extra_env is not None:
            self.extra_env = dict(extra_env)
        # The server refuses BUCKETFLOW_* variables it does not know (BUCKETFLOW_BIN is ours).
        env = {k: v for k, v in os.environ.items() if not k.startswith("BUCKETFLOW_")}
        env.update(BUCKETFLOW_SECRET_ID=SECRET_ID, BUCKETFLOW_SECRET_KEY=SECRET_KEY)
        env.update(self.extra_env)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(self.binary), "serve", "--listen", f"127.0.0.1:{self.port}",
             "--data-dir", str(self.data_dir)],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bucketflow exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"bucketflow did not accept connections in {timeout}s:\n"
                           f"{self.log_tail()}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def restart(self):
        """Stop and start again on the same port and data dir; clients stay valid."""
        self.stop()
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# --- the workflow engine (test_engine.py, test_crash.py) ---------------------------------------

BACKUP_PREFIX = "abnormal_images_backup/"
ENGINE_WAIT = 30.0
# The shared ImageInspect corpus, beside the checkout unless BUCKETFLOW_CORPUS names it.
CORPUS = Path(os.environ.get("BUCKETFLOW_CORPUS")
              or Path(__file__).resolve().parent / ".." / ".." / ".." / "shared" / "corpus" / "dev")


class CorpusCase:
    """One row of the corpus manifest: a file and the ImageInspect verdict expected for it."""

    def __init__(self, row: dict):
        self.path = row["path"]
        # The manifest writes `-` for a pure TS; the vendor field then says `unknown`.
        self.pic_type = "unknown" if row["picType"] == "-" else row["picType"]
        self.suspicious = row["suspicious"] == "true"
        self.begin, self.end, self.size = (row[k] for k in ("begin", "end", "size"))
        self.kind = row["suspiciousType"]

    @property
    def data(self) -> bytes:
        return (CORPUS / self.path).read_bytes()

    @property
    def suffix(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    def __repr__(self):
        return self.path


def corpus_case(path: str) -> CorpusCase:
    manifest = CORPUS / "manifest.tsv"
    if not manifest.exists():
        pytest.fail(f"corpus not found at {CORPUS} (set BUCKETFLOW_CORPUS)")
    lines = manifest.read_text().splitlines()
    header = lines[0].split("\t")
    for line in lines[1:]:
        row = dict(zip(header, line.split("\t")))
        if row["path"] == path:
            return CorpusCase(row)
    raise KeyError(f"{path} is not in {manifest}")


def inspect_workflow_body(name="engine", prefix="test/", process_type="BackupObject",
                          auto_process=True, state="Active", ext_filter=None) -> dict:
    """An ImageInspect workflow (Start -> ImageInspectNode -> End) shaped like the seed's."""
    start_input = {'ObjectPrefix': prefix}
    if ext_filter is not None:
        start_input['ExtFilter'] = ext_filter
    return {
        'MediaWorkflow': {
            'Name': name,
            'State': state,
            'Topology': {
                'Dependencies': {'Start': 'ImageInspectNode', 'ImageInspectNode': 'End'},
                'Nodes': {
                    'Start': {'Type': 'Start', 'Input': start_input},
                    'ImageInspectNode': {
                        'Type': 'ImageInspect',
                        'Operation': {'ImageInspect': {
                            'AutoProcess': 'true' if auto_process else 'false',
                            'ProcessType': process_type,
                        }},
                    },
                },
            },
        },
    }


def create_inspect_workflow(client, bucket, **options) -> str:
    response = client.ci_create_workflow(Bucket=bucket, Body=inspect_workflow_body(**options),
                                         ContentType='application/xml')
    return response['MediaWorkflow']['WorkflowId']


def list_executions(client, bucket, workflow_id, size=100, **filters) -> list:
    """Every listed execution, following NextToken to the last page."""
    found, token = [], ''
    while True:
        page = client.ci_list_workflowexecution(Bucket=bucket, WorkflowId=workflow_id,
                                                Size=size, NextToken=token, **filters)
        found.extend(as_list(page.get('WorkflowExecutionList')))
        token = page.get('NextToken') or ''
        if not token:
            return found


def wait_for_executions(client, bucket, workflow_id, count, timeout=ENGINE_WAIT) -> list:
    """Polls until at least `count` executions exist and none is Running; returns the list as
    last seen, so that the caller asserts on what happened rather than on time."""
    deadline = time.monotonic() + timeout
    while True:
        found = list_executions(client, bucket, workflow_id)
        done = len(found) >= count and all(e['State'] != 'Running' for e in found)
        if done or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def get_execution(client, bucket, run_id) -> dict:
    return client.ci_get_workflowexecution(Bucket=bucket, RunId=run_id)['WorkflowExecution'][0]


def wait_for_execution(client, bucket, run_id, timeout=ENGINE_WAIT) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        execution = get_execution(client, bucket, run_id)
        if execution['State'] != 'Running' or time.monotonic() > deadline:
            return execution
        time.sleep(0.05)


# --- workflow callbacks (test_callbacks.py) ------------------------------------------------------

CALLBACK_WAIT = 15.0
# Every request any Receiver sees takes numbers from this one counter, when it arrives and when
# it is answered, so that tests can compare the order of events at different receivers.
_callback_clock = itertools.count()


class Received:
    """One request as a receiver saw it; `status` and `answered` are None until it is answered."""

    def __init__(self, handler, body: bytes):
        self.arrived = next(_callback_clock)
        self.answered = None
        self.status = None
        self.method = handler.command
        self.path = handler.path
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        self.body = body

    @property
    def delivery_id(self) -> str:
        return self.headers.get("x-bucketflow-delivery-id", "")

    @property
    def event(self) -> str:
        return self.headers.get("x-bucketflow-event", "")

    def __repr__(self):
        return f"<{self.method} {self.path} {self.event} {self.delivery_id} -> {self.status}>"


def always(status: int, delay: float = 0.0, headers: dict = None):
    """An answer policy: every request gets `status` after `delay` seconds."""
    return lambda request, history: (status, delay, headers or {})


def fail_each_delivery_first(*answers):
    """An answer policy: the n-th attempt of each delivery id gets `answers[n]` (a status, or
    a (status, delay) pair), later ones 200 at once."""
    def answer(request, history):
        earlier = sum(1 for r in history if r.delivery_id == request.delivery_id) - 1
        chosen = answers[earlier] if earlier < len(answers) else 200
        status, delay = chosen if isinstance(chosen, tuple) else (chosen, 0.0)
        return status, delay, {}
    return answer


class _CallbackHandler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so a stopped receiver answers nothing more.
    protocol_version = "HTTP/1.0"

    def do_POST(self):
        self.server.receiver.handle(self)

    do_GET = do_PUT = do_POST

    def log_message(self, *args):
        pass


class Receiver:
    """A callback target on 127.0.0.1: records every request (method, path, headers, body)
    and answers as `respond(request, history)` says, where `history` includes the request."""

    def __init__(self, respond=None, port: int = None):
        self.respond = respond or always(200)
        self.port = port or free_port()
        self.requests = []
        self.lock = threading.Lock()
        self.httpd = None

    def url(self, path: str = "/callback") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), _CallbackHandler)
        self.httpd.daemon_threads = True
        self.httpd.receiver = self
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def handle(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        request = Received(handler, handler.rfile.read(length))
        with self.lock:
            self.requests.append(request)
            status, delay, headers = self.respond(request, list(self.requests))
        time.sleep(delay)
        # Recorded before the answer goes out, so that whatever the server does once it has
        # the answer comes after it here too.
        request.status = status
        request.answered = next(_callback_clock)
        try:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        except OSError:
            pass  # the sender gave up waiting (its timeout) and closed the connection

    def seen(self) -> list:
        with self.lock:
            return list(self.requests)

    def wait_for(self, done, timeout: float = CALLBACK_WAIT) -> list:
        """Polls until `done(requests)` holds; returns the requests as last seen, so that the
        caller asserts on what arrived rather than on time."""
        deadline = time.monotonic() + timeout
        while True:
            requests = self.seen()
            if done(requests) or time.monotonic() > deadline:
                return requests
            time.sleep(0.02)

    def wait_for_count(self, count: int, timeout: float = CALLBACK_WAIT) -> list:
        return self.wait_for(lambda requests: len(requests) >= count, timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def callback_workflow_body(url, events="TaskFinish,WorkflowFinish", result_format="",
                           notify_state=None, **options) -> dict:
    """An ImageInspect workflow (see `inspect_workflow_body`) whose Start node calls `url`."""
    body = inspect_workflow_body(**options)
    notify = {'Type': 'Url', 'Url': url, 'Event': events, 'ResultFormat': result_format}
    if notify_state is not None:
        notify['State'] = notify_state
    body['MediaWorkflow']['Topology']['Nodes']['Start']['Input']['NotifyConfig'] = notify
    return body


def create_callback_workflow(client, bucket, url, **options) -> str:
    response = client.ci_create_workflow(Bucket=bucket, Body=callback_workflow_body(url, **options),
                                         ContentType='application/xml')
    return response['MediaWorkflow']['WorkflowId']


def callbacks_command(server, *args) -> str:
    """Runs `bucketflow callbacks ARGS --data-dir <the server's data dir>`; returns stdout."""
    done = subprocess.run([str(server.binary), "callbacks", *args, "--data-dir",
                           str(server.data_dir)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def listed_deliveries(server, state="all", run_ids=None) -> list:
    """`bucketflow callbacks list` as dicts, only those of `run_ids` when given."""
    lines = callbacks_command(server, "list", "--state", state, "--limit", "100000").splitlines()
    found = [json.loads(line) for line in lines if line.strip()]
    return [d for d in found if run_ids is None or d['run_id'] in run_ids]
