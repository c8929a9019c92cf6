"""The engine's crash test (DESIGN decisions 1 and 2): uploads run from several threads while the
server is SIGKILLed, a few times over; after the last restart every acknowledged upload has
exactly one execution, every execution succeeds, and every abnormal image was moved exactly once.
"""

import shutil
import threading
from collections import Counter

import pytest
from qcloud_cos import CosConfig, CosS3Client
from support import (BACKUP_PREFIX, REGION, SECRET_ID, SECRET_KEY, Server, as_list, corpus_case,
                     create_inspect_workflow, find_binary, new_bucket_name,
                     read_body, wait_for_executions)

ABNORMAL = [
    "abnormal/mpeg-ts/golang-1.19-src__basn3p04-31i.png",
    "abnormal/mpeg-ts/pillow__pal8os2.bmp",
    "abnormal/mpeg-ts/golang-1.19-src__video-001.gif",
    "abnormal/mpeg-ts/pillow__hopper_orientation_3.webp",
    "abnormal/zip/pillow__blend_op_over.png",
    "abnormal/pure-ts/renamed_ts_1.jpg",
]
CLEAN = [
    "clean/png-plain/pillow__imagedraw_polygon_1px_high.png",
    "clean/jpeg-baseline/pillow__jfif_unit_cm.jpg",
    "clean/bmp-plain/pillow__pal4.bmp",
    "clean/gif-static/golang-1.19-src__triangle-001.gif",
    "clean/webp-lossy/golang-golang-x-image-dev__blue-purple-pink.lossy.webp",
]
THREADS = 4
UPLOADS = 210
# SIGKILL once this many uploads in all were acknowledged: early, midway, late. The uploads
# left after the last kill go to the restarted server.
KILL_AFTER_ACKS = (15, 90, 160)
# A task that was running when the server died is claimed again when its 60 s lease expires.
RECOVERY_WAIT = 100.0


def sdk_client(port) -> CosS3Client:
    """One attempt per call: the SDK's retry of a failed PUT would blur what was acknowledged."""
    config = CosConfig(Region=REGION, SecretId=SECRET_ID, SecretKey=SECRET_KEY, Scheme="http",
                       IP="127.0.0.1", Port=port, Timeout=10)
    return CosS3Client(config, retry=0)


@pytest.fixture
def crash_server():
    server = Server(find_binary())
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.workdir, ignore_errors=True)


class Uploads:
    """Unique keys put from several threads, in bursts that a SIGKILL may cut short."""

    def __init__(self, server, bucket, cases):
        self.server, self.bucket = server, bucket
        self.pending = []
        for index in range(UPLOADS):
            case = cases[index % len(cases)]
            self.pending.append((f"test/{index:03d}-{case.path.rsplit('/', 1)[-1]}", case))
        self.lock = threading.Lock()
        self.attempted, self.acknowledged = {}, {}
        self.kill_after = None
        self.enough = threading.Event()
        self.killed = threading.Event()

    def next_upload(self):
        with self.lock:
            if self.killed.is_set() or not self.pending:
                return None
            key, case = self.pending.pop(0)
            self.attempted[key] = case
            return key, case

    def uploader(self):
        client = sdk_client(self.server.port)
        while (upload := self.next_upload()) is not None:
            key, case = upload
            try:
                client.put_object(Bucket=self.bucket, Key=key, Body=case.data)
            except Exception:  # the server died under the request: not acknowledged
                continue
            with self.lock:
                self.acknowledged[key] = case
                if self.kill_after is not None and len(self.acknowledged) >= self.kill_after:
                    self.enough.set()

    def burst(self, kill_after=None):
        """Uploads until `kill_after` acknowledgements, then SIGKILL and restart; without
        `kill_after`, uploads what is left."""
        self.kill_after = kill_after
        self.enough.clear()
        self.killed.clear()
        threads = [threading.Thread(target=self.uploader) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        if kill_after is not None:
            self.enough.wait(timeout=60)
            self.server.process.kill()
            self.killed.set()
            self.server.process.wait()
        for thread in threads:
            thread.join(timeout=60)
        if kill_after is not None:
            assert self.pending, "the kill came after the last upload"
            self.server.start()


def test_sigkill_during_uploads_loses_and_repeats_nothing(crash_server):
    client = sdk_client(crash_server.port)
    bucket = new_bucket_name()
    client.create_bucket(Bucket=bucket)
    # Every key matches, backups included: a move that started a run would show.
    workflow_id = create_inspect_workflow(client, bucket, prefix='/')
    cases = [corpus_case(p) for p in ABNORMAL + CLEAN]

    uploads = Uploads(crash_server, bucket, cases)
    for kill_after in KILL_AFTER_ACKS:
        uploads.burst(kill_after)
    uploads.burst()
    attempted, acknowledged = uploads.attempted, uploads.acknowledged
    assert len(attempted) == UPLOADS

    client = sdk_client(crash_server.port)
    executions = wait_for_executions(client, bucket, workflow_id, len(acknowledged),
                                     timeout=RECOVERY_WAIT)
    runs = Counter(e['Object'] for e in executions)
    states = Counter(e['State'] for e in executions)
    keys = {o['Key'] for o in as_list(client.list_objects(Bucket=bucket, MaxKeys=1000)
                                      .get('Contents'))}

    # Every acknowledged upload started exactly one run, and every run succeeded.
    assert {k: runs[k] for k in acknowledged if runs[k] != 1} == {}
    assert states == {'Success': len(executions)}, states
    # A run exists only for an upload that was made, and once.
    assert set(runs) <= set(attempted)
    assert {k: n for k, n in runs.items() if n != 1} == {}
    # Nothing but the uploads and their backups; no backup of a backup.
    assert keys <= set(attempted) | {BACKUP_PREFIX + k for k in attempted}
    assert not any(k.startswith(BACKUP_PREFIX * 2) for k in keys)

    for key, case in attempted.items():
        backup = BACKUP_PREFIX + key
        # An upload exists (as itself or as its backup) exactly when it has its run.
        assert ((key in keys) or (backup in keys)) == (runs[key] == 1), key
        if runs[key] == 0:
            continue
        if case.suspicious:
            assert key not in keys, key
            assert read_body(client.get_object(Bucket=bucket, Key=backup)) == case.data, key
        else:
            assert backup not in keys, key
            assert read_body(client.get_object(Bucket=bucket, Key=key)) == case.data, key
