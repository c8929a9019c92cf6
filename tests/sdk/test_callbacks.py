"""Workflow callbacks (spec workflow-api.md §3.3, §8): a workflow whose Start node has a
NotifyConfig POSTs a TaskFinish message per finished task and a WorkflowFinish message per
finished execution to a receiver run by the test, in XML or JSON, signed when a secret is set;
failed deliveries are retried or given up as the retry policy says, survive a restart, can be
listed and re-queued with `bucketflow callbacks`, and the allow/deny lists guard the targets.
"""

import hashlib
import hmac
import json
import re
import shutil
import time
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from support import (REGION, Receiver, Server, always, as_list, callback_workflow_body,
                     callbacks_command, corpus_case, create_callback_workflow,
                     create_inspect_workflow, fail_each_delivery_first, find_binary,
                     get_execution, inspect_workflow_body, listed_deliveries, make_client,
                     new_bucket_name, service_error, wait_for_execution, wait_for_executions)

CALLBACK_SECRET = "bucketflow-callback-test-secret"
# Short backoffs so that retries happen within the test; the ceiling keeps them short.
FAST_RETRIES = {
    "BUCKETFLOW_CALLBACK_BACKOFF_MS": "50",
    "BUCKETFLOW_CALLBACK_BACKOFF_MAX_MS": "200",
}
# The signed server also gives up after 4 attempts and waits 1 s for an answer.
SIGNED_ATTEMPTS = 4
SIGNED_TIMEOUT = 1.0
SIGNED_ENV = {
    "BUCKETFLOW_CALLBACK_SECRET": CALLBACK_SECRET,
    "BUCKETFLOW_CALLBACK_ATTEMPTS": str(SIGNED_ATTEMPTS),
    "BUCKETFLOW_CALLBACK_TIMEOUT_MS": str(int(SIGNED_TIMEOUT * 1000)),
    **FAST_RETRIES,
}
ABNORMAL = "abnormal/mpeg-ts/golang-1.19-src__basn3p04-31i.png"
CLEAN = "clean/jpeg-baseline/pillow__jfif_unit_cm.jpg"
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg"}
META = {"x-cos-meta-owner": "alice"}
EVENTS = ("TaskFinish", "WorkflowFinish")

CI_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0800$")
CALLBACK_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+0800$")
SIGNATURE = re.compile(r"^t=(\d+),v1=([0-9a-f]{64})$")
# Elements that JSON bodies write as arrays (spec §8.2, §8.3); XML repeats them.
ARRAYS = ("JobsDetail", "CosHeaders", "Tasks")
# The documented order of the XML children (spec §8.2, §8.3).
JOB_DETAIL_ORDER = ["Code", "Message", "JobId", "Tag", "State", "Progress", "CreationTime",
                    "StartTime", "EndTime", "QueueId", "Input", "Operation", "Workflow"]
EXECUTION_ORDER = ["WorkflowId", "WorkflowName", "RunId", "State", "BucketId", "Object",
                   "CreateTime", "CosHeaders", "Tasks"]
TASK_ORDER = ["Type", "CreateTime", "StartTime", "EndTime", "State", "JobId", "Name",
              "TemplateId", "TemplateName"]


# --- servers of their own: a secret and short backoffs, or a deny list ------------------------

def started(extra_env=None) -> Server:
    server = Server(find_binary(), extra_env=extra_env)
    server.start()
    return server


def discard(server: Server):
    server.stop()
    shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def signed_server():
    server = started(SIGNED_ENV)
    yield server
    discard(server)


@pytest.fixture(scope="module")
def signed_client(signed_server):
    return make_client(signed_server.port)


@pytest.fixture
def signed_bucket(signed_client):
    name = new_bucket_name()
    signed_client.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def guarded_server():
    server = started({"BUCKETFLOW_CALLBACK_DENY": "127.0.0.0/8"})
    yield server
    discard(server)


@pytest.fixture
def own_servers():
    """Call it with an environment to get a server that is discarded after the test."""
    servers = []

    def start(extra_env=None):
        servers.append(started(extra_env))
        return servers[-1]

    yield start
    for server in servers:
        discard(server)


@pytest.fixture
def receivers():
    """Call it to get a started Receiver that is stopped after the test."""
    running = []

    def start(respond=None, port=None):
        running.append(Receiver(respond, port).start())
        return running[-1]

    yield start
    for receiver in running:
        receiver.stop()


# --- helpers -----------------------------------------------------------------------------------

def upload(client, bucket, index, path, prefix="test/") -> tuple:
    """Puts a corpus image with a Content-Type and a meta header; returns (key, case)."""
    case = corpus_case(path)
    key = f"{prefix}{index:02d}-{case.path.rsplit('/', 1)[-1]}"
    client.put_object(Bucket=bucket, Key=key, Body=case.data,
                      ContentType=CONTENT_TYPES[case.suffix], Metadata=dict(META))
    return key, case


def expected_cos_headers(case) -> list:
    return [{"Key": "Content-Type", "Value": CONTENT_TYPES[case.suffix]},
            *({"Key": k, "Value": v} for k, v in META.items())]


def only_task(execution) -> dict:
    tasks = as_list(execution.get("Tasks"))
    assert len(tasks) == 1, tasks
    return tasks[0]


def plain(element):
    """An XML body in the shape of its JSON twin: text leaves, arrays for ARRAYS."""
    if len(element) == 0:
        return element.text or ""
    found = {}
    for child in element:
        if child.tag in ARRAYS:
            found.setdefault(child.tag, []).append(plain(child))
        else:
            assert child.tag not in found, f"<{child.tag}> repeated"
            found[child.tag] = plain(child)
    return found


def leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def parse_body(request, result_format) -> dict:
    """The body as plain dicts, after the checks particular to its format."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip()
    if result_format == "JSON":
        assert media_type == "application/json"
        document = json.loads(request.body)
        assert "Response" not in document
        assert all(isinstance(leaf, str) for leaf in leaves(document)), document
        return document
    assert media_type == "application/xml"
    root = ET.fromstring(request.body)
    assert root.tag == "Response"
    event = root.findtext("EventName")
    assert [c.tag for c in root] == [
        "EventName", "JobsDetail" if event == "TaskFinish" else "WorkflowExecution"]
    for detail in root.findall("JobsDetail"):
        assert [c.tag for c in detail] == JOB_DETAIL_ORDER
    for execution in root.findall("WorkflowExecution"):
        tags = [c.tag for c in execution]
        assert tags == sorted(tags, key=EXECUTION_ORDER.index)
        for task in execution.findall("Tasks"):
            assert [c.tag for c in task] == TASK_ORDER
    return plain(root)


def check_signature(request, not_before: int):
    """`x-bucketflow-signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    match = SIGNATURE.match(request.headers.get("x-bucketflow-signature", ""))
    assert match, request.headers
    assert not_before <= int(match[1]) <= time.time() + 1
    expected = hmac.new(CALLBACK_SECRET.encode(), match[1].encode() + b"." + request.body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(match[2], expected)


def spaced(ci_time: str) -> str:
    """A task time of the execution API in the WorkflowFinish format (spec §8.2)."""
    return ci_time.replace("T", " ", 1)


def expected_inspect_result(bucket, key, case, auto_process=True) -> dict:
    process = {"PicSize": str(len(case.data)), "PicType": case.pic_type,
               "Suspicious": "true" if case.suspicious else "false"}
    if case.suspicious:
        process.update(SuspiciousBeginByte=case.begin, SuspiciousEndByte=case.end,
                       SuspiciousSize=case.size, SuspiciousType=case.kind)
        if auto_process:
            process["AutoProcessResult"] = {"Code": "Success", "Message": "Success"}
    return {"State": "Success", "Code": "Success", "Message": "", "InputObjectName": key,
            "InputObjectUrl": f"https://{bucket}.cos.{REGION}.myqcloud.com/{key}",
            "ProcessResult": process}


def check_task_finish(body, bucket, key, case, execution, workflow_name):
    """A TaskFinish body against the execution as GET /workflowexecution shows it."""
    task = only_task(execution)
    assert body["EventName"] == "TaskFinish"
    [detail] = body["JobsDetail"]
    queue_id = detail.pop("QueueId")
    assert queue_id == "" or re.match(r"^p[0-9a-f]{32}$", queue_id), queue_id
    for name in ("CreationTime", "StartTime", "EndTime"):
        assert CI_TIME.match(detail[name]), detail
    assert detail == {
        "Code": "Success", "Message": "", "JobId": task["JobId"], "Tag": "ImageInspect",
        "State": "Success", "Progress": "100", "CreationTime": task["CreateTime"],
        "StartTime": task["StartTime"], "EndTime": task["EndTime"],
        "Input": {"BucketId": bucket, "Object": key, "Region": REGION,
                  "CosHeaders": expected_cos_headers(case)},
        "Operation": {"ImageInspectResult": expected_inspect_result(bucket, key, case),
                      "JobLevel": "0"},
        "Workflow": {"RunId": execution["RunId"], "WorkflowId": execution["WorkflowId"],
                     "WorkflowName": workflow_name, "Name": "ImageInspectNode"},
    }, case


def check_workflow_finish(body, bucket, key, case, execution, workflow_name):
    task = only_task(execution)
    assert body["EventName"] == "WorkflowFinish"
    finished = body["WorkflowExecution"]
    assert CALLBACK_TIME.match(finished["CreateTime"]), finished
    assert finished == {
        "WorkflowId": execution["WorkflowId"], "WorkflowName": workflow_name,
        "RunId": execution["RunId"], "State": "Success", "BucketId": bucket, "Object": key,
        "CreateTime": spaced(execution["CreateTime"]),
        "CosHeaders": expected_cos_headers(case),
        "Tasks": [{"Type": "ImageInspect", "CreateTime": spaced(task["CreateTime"]),
                   "StartTime": spaced(task["StartTime"]), "EndTime": spaced(task["EndTime"]),
                   "State": "Success", "JobId": task["JobId"], "Name": "ImageInspectNode",
                   "TemplateId": "", "TemplateName": ""}],
    }, case


def run_of(body) -> str:
    if body["EventName"] == "TaskFinish":
        return body["JobsDetail"][0]["Workflow"]["RunId"]
    return body["WorkflowExecution"]["RunId"]


def answered(requests, status=200) -> int:
    return sum(1 for r in requests if r.status == status)


def events_by_run(requests, result_format="XML") -> Counter:
    return Counter((run_of(parse_body(r, result_format)), r.event) for r in requests)


def wait_for_deliveries(server, run_ids, done, state="all", timeout=15.0) -> list:
    """Polls `bucketflow callbacks list` until `done(deliveries of run_ids)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        found = listed_deliveries(server, state, run_ids)
        if done(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


# --- the bodies, field by field ------------------------------------------------------------------

@pytest.mark.parametrize("result_format", ["", "XML", "JSON"])
def test_both_events_describe_the_run_field_by_field(
        signed_server, signed_client, signed_bucket, receivers, result_format):
    client, bucket = signed_client, signed_bucket
    not_before = int(time.time())
    receiver = receivers()
    workflow_id = create_callback_workflow(client, bucket, receiver.url("/hooks/ci?source=cos"),
                                           result_format=result_format, name="callbacks")
    uploads = dict(upload(client, bucket, i, p) for i, p in enumerate([ABNORMAL, CLEAN]))

    executions = wait_for_executions(client, bucket, workflow_id, len(uploads))
    requests = receiver.wait_for(lambda rs: answered(rs) >= 2 * len(uploads))

    assert len(requests) == 2 * len(uploads), requests
    assert len({r.delivery_id for r in requests}) == len(requests), "one id per delivery"
    format_ = result_format or "XML"
    for request in requests:
        assert (request.method, request.path) == ("POST", "/hooks/ci?source=cos")
        assert request.delivery_id and request.event in EVENTS
        check_signature(request, not_before)
    by_key = {e["Object"]: get_execution(client, bucket, e["RunId"]) for e in executions}
    assert sorted(by_key) == sorted(uploads)
    seen = Counter()
    for request in requests:
        body = parse_body(request, format_)
        assert body["EventName"] == request.event
        [(key, execution)] = [(k, e) for k, e in by_key.items() if e["RunId"] == run_of(body)]
        assert [c["Key"] for c in as_list(execution.get("CosHeaders"))] == [
            h["Key"] for h in expected_cos_headers(uploads[key])]
        check = check_task_finish if request.event == "TaskFinish" else check_workflow_finish
        check(body, bucket, key, uploads[key], execution, "callbacks")
        seen[key, request.event] += 1
    assert seen == Counter({(key, event): 1 for key in uploads for event in EVENTS})


def test_a_failed_inspection_is_reported_failed_in_both_events(client, bucket, receivers):
    receiver = receivers()
    workflow_id = create_callback_workflow(client, bucket, receiver.url())
    client.put_object(Bucket=bucket, Key="test/notes.txt", Body=b"just some text\n" * 40,
                      ContentType="text/plain")

    [listed] = wait_for_executions(client, bucket, workflow_id, 1)
    requests = receiver.wait_for(lambda rs: answered(rs) >= 2)

    task = only_task(get_execution(client, bucket, listed["RunId"]))
    assert (listed["State"], task["State"], task["Code"]) == (
        "Failed", "Failed", "ResourceNotSupported")
    bodies = {r.event: parse_body(r, "XML") for r in requests}
    assert sorted(bodies) == sorted(EVENTS) and len(requests) == 2
    detail = bodies["TaskFinish"]["JobsDetail"][0]
    assert (detail["State"], detail["Code"], detail["Message"], detail["JobId"]) == (
        "Failed", "ResourceNotSupported", task["Message"], task["JobId"])
    assert detail["Message"]
    finished = bodies["WorkflowFinish"]["WorkflowExecution"]
    assert finished["State"] == "Failed"
    assert [(t["State"], t["JobId"]) for t in finished["Tasks"]] == [("Failed", task["JobId"])]
    # No secret on the shared server: nothing to sign with.
    assert all("x-bucketflow-signature" not in r.headers for r in requests)


# --- which callbacks are sent -------------------------------------------------------------------

def test_a_manual_trigger_of_a_paused_workflow_sends_only_the_chosen_event(
        server, client, bucket, receivers):
    receiver = receivers()
    workflow_id = create_callback_workflow(client, bucket, receiver.url(), state="Paused",
                                           events="WorkflowFinish", result_format="JSON")
    key, case = upload(client, bucket, 0, CLEAN, prefix="elsewhere/")

    run_id = client.ci_trigger_workflow(Bucket=bucket, WorkflowId=workflow_id,
                                        Key=key)["InstanceId"]
    assert wait_for_execution(client, bucket, run_id)["State"] == "Success"
    [request] = receiver.wait_for(lambda rs: answered(rs) >= 1)

    assert request.event == "WorkflowFinish"
    assert run_of(parse_body(request, "JSON")) == run_id
    # Deliveries commit with the task, so the outbox of a finished run is complete.
    assert [d["event"] for d in listed_deliveries(server, run_ids={run_id})] == [
        "WorkflowFinish"]


def test_notify_state_off_keeps_the_settings_and_sends_nothing(server, client, bucket, receivers):
    receiver = receivers()
    workflow_id = create_callback_workflow(client, bucket, receiver.url(), notify_state="Off")
    upload(client, bucket, 0, CLEAN)

    [listed] = wait_for_executions(client, bucket, workflow_id, 1)

    assert listed["State"] == "Success"
    assert listed_deliveries(server, run_ids={listed["RunId"]}) == []
    assert receiver.seen() == []


# --- retries -------------------------------------------------------------------------------------

@pytest.mark.parametrize("failures", [(500, 500), (408, 429, 503)],
                         ids=["500-500-200", "408-429-503-200"])
def test_a_failing_receiver_gets_every_callback_on_a_later_attempt(
        signed_server, signed_client, signed_bucket, receivers, failures):
    client, bucket = signed_client, signed_bucket
    not_before = int(time.time())
    receiver = receivers(fail_each_delivery_first(*failures))
    workflow_id = create_callback_workflow(client, bucket, receiver.url())
    uploads = dict(upload(client, bucket, i, p) for i, p in enumerate([ABNORMAL, CLEAN]))

    executions = wait_for_executions(client, bucket, workflow_id, len(uploads))
    requests = receiver.wait_for(lambda rs: answered(rs) >= 2 * len(uploads))

    attempts = {}
    for request in requests:
        attempts.setdefault(request.delivery_id, []).append(request)
    assert len(attempts) == 2 * len(uploads)
    for delivery_id, tries in attempts.items():
        # The same delivery, id and body, until the receiver takes it.
        assert [r.status for r in tries] == [*failures, 200], delivery_id
        assert len({r.body for r in tries}) == 1 and len({r.event for r in tries}) == 1
        for request in tries:
            check_signature(request, not_before)
    run_ids = {e["RunId"] for e in executions}
    delivered = [r for r in requests if r.status == 200]
    assert events_by_run(delivered) == Counter({(run, ev): 1 for run in run_ids for ev in EVENTS})
    listed = wait_for_deliveries(signed_server, run_ids,
                                 lambda ds: all(d["state"] == "Delivered" for d in ds))
    assert sorted((d["delivery_id"], d["state"], d["attempts"], d["last_status"])
                  for d in listed) == sorted(
        (i, "Delivered", len(failures) + 1, 200) for i in attempts)


def test_a_receiver_slower_than_the_timeout_is_tried_again(
        signed_server, signed_client, signed_bucket, receivers):
    client, bucket = signed_client, signed_bucket
    receiver = receivers(fail_each_delivery_first((200, SIGNED_TIMEOUT + 0.5)))
    workflow_id = create_callback_workflow(client, bucket, receiver.url(),
                                           events="WorkflowFinish")
    upload(client, bucket, 0, CLEAN)
    [listed] = wait_for_executions(client, bucket, workflow_id, 1)

    listed = wait_for_deliveries(signed_server, {listed["RunId"]},
                                 lambda ds: ds and ds[0]["state"] == "Delivered")

    assert [(d["state"], d["attempts"], d["last_status"]) for d in listed] == [
        ("Delivered", 2, 200)]
    assert [r.delivery_id for r in receiver.seen()] == [listed[0]["delivery_id"]] * 2


def test_retries_end_after_the_attempt_budget(signed_server, signed_client, signed_bucket,
                                              receivers):
    client, bucket = signed_client, signed_bucket
    receiver = receivers(always(503))
    workflow_id = create_callback_workflow(client, bucket, receiver.url(),
                                           events="TaskFinish")
    upload(client, bucket, 0, CLEAN)
    [listed] = wait_for_executions(client, bucket, workflow_id, 1)

    [failed] = wait_for_deliveries(signed_server, {listed["RunId"]}, lambda ds: len(ds) == 1,
                                   state="failed")

    assert (failed["attempts"], failed["last_status"]) == (SIGNED_ATTEMPTS, 503)
    assert [r.delivery_id for r in receiver.seen()] == [failed["delivery_id"]] * SIGNED_ATTEMPTS


def test_callbacks_pending_while_the_receiver_is_down_survive_a_restart(own_servers, receivers):
    server = own_servers({**FAST_RETRIES, "BUCKETFLOW_CALLBACK_ATTEMPTS": "1000"})
    client = make_client(server.port)
    bucket = new_bucket_name()
    client.create_bucket(Bucket=bucket)
    # The receiver's port is chosen now but nothing listens there yet.
    receiver = Receiver()
    workflow_id = create_callback_workflow(client, bucket, receiver.url())
    uploads = dict(upload(client, bucket, i, p) for i, p in enumerate([ABNORMAL, CLEAN]))
    run_ids = {e["RunId"] for e in wait_for_executions(client, bucket, workflow_id, len(uploads))}
    failing = wait_for_deliveries(server, run_ids, lambda ds: len(ds) == 4 and all(
        d["attempts"] >= 1 and d["last_error"] for d in ds))
    assert len(failing) == 4 and all(d["state"] in ("Pending", "Sending") for d in failing)

    server.restart()
    receiver = receivers(port=receiver.port)
    requests = receiver.wait_for(lambda rs: answered(rs) >= 4)

    # Every delivery arrived once, under the id it had before the restart.
    assert sorted(r.delivery_id for r in requests) == sorted(d["delivery_id"] for d in failing)
    assert events_by_run(requests) == Counter({(run, ev): 1 for run in run_ids for ev in EVENTS})
    listed = wait_for_deliveries(server, run_ids,
                                 lambda ds: all(d["state"] == "Delivered" for d in ds))
    assert [d["state"] for d in listed] == ["Delivered"] * 4


# --- final failures, and the `bucketflow callbacks` command ---------------------------------------

@pytest.mark.parametrize("status", [404, 302])
def test_a_final_answer_is_not_retried_and_the_cli_lists_and_requeues_it(
        server, client, bucket, receivers, status):
    receiver = receivers()
    # A redirect to the receiver itself, to see that it is not followed.
    moved = {"Location": receiver.url("/moved")} if status < 400 else {}
    receiver.respond = always(status, headers=moved)
    workflow_id = create_callback_workflow(client, bucket, receiver.url())
    upload(client, bucket, 0, CLEAN)
    [listed] = wait_for_executions(client, bucket, workflow_id, 1)
    run_id = listed["RunId"]

    failed = wait_for_deliveries(server, {run_id}, lambda ds: len(ds) == 2, state="failed")

    # Failed is final, so what the receiver has seen by now is all it ever gets: one each.
    first = receiver.seen()
    assert sorted(r.delivery_id for r in first) == sorted(d["delivery_id"] for d in failed)
    assert [(r.path, r.status) for r in first] == [("/callback", status)] * 2
    assert sorted(d["event"] for d in failed) == sorted(EVENTS)
    for delivery in failed:
        assert (delivery["state"], delivery["attempts"], delivery["last_status"],
                delivery["url"], delivery["run_id"]) == ("Failed", 1, status, receiver.url(),
                                                         run_id)
        assert delivery["last_error"]

    receiver.respond = always(200)
    ids = [d["delivery_id"] for d in failed]
    assert "re-queued 2 " in callbacks_command(server, "retry", *ids)
    requests = receiver.wait_for(lambda rs: answered(rs) >= 2)

    retried = [r for r in requests if r.status == 200]
    assert sorted(r.delivery_id for r in retried) == sorted(ids)
    assert {r.delivery_id: r.body for r in retried} == {r.delivery_id: r.body for r in first}
    delivered = wait_for_deliveries(server, {run_id},
                                    lambda ds: all(d["state"] == "Delivered" for d in ds))
    assert sorted((d["state"], d["last_status"]) for d in delivered) == [("Delivered", 200)] * 2
    assert listed_deliveries(server, "failed", {run_id}) == []


# --- one receiver does not hold up another -------------------------------------------------------

def test_a_slow_receiver_does_not_hold_up_another(client, bucket, receivers):
    slow = receivers(always(200, delay=2.0))
    fast = receivers()
    create_callback_workflow(client, bucket, slow.url(), prefix="slow/", name="slow",
                             events="WorkflowFinish")
    create_callback_workflow(client, bucket, fast.url(), prefix="fast/", name="fast")
    upload(client, bucket, 0, CLEAN, prefix="slow/")
    slow.wait_for_count(1)

    upload(client, bucket, 1, CLEAN, prefix="fast/")
    fast_requests = fast.wait_for(lambda rs: answered(rs) >= 2)
    [slow_request] = slow.wait_for(lambda rs: answered(rs) >= 1)

    assert len(fast_requests) == 2
    assert all(r.arrived < slow_request.answered for r in fast_requests)


# Uploads for the backlog test: two deliveries each, more than the 64 due deliveries that one
# claim of the outbox looks at.
BACKLOG = 40


def test_a_backlog_to_a_slow_receiver_does_not_starve_another_receiver(
        own_servers, receivers):
    server = own_servers()
    client = make_client(server.port)
    bucket = new_bucket_name()
    client.create_bucket(Bucket=bucket)
    slow = receivers(always(200, delay=2.0))
    fast = receivers()
    slow_workflow = create_callback_workflow(client, bucket, slow.url(), prefix="slow/",
                                             name="slow")
    create_callback_workflow(client, bucket, fast.url(), prefix="fast/", name="fast")
    for index in range(BACKLOG):
        upload(client, bucket, index, CLEAN, prefix="slow/")
    wait_for_executions(client, bucket, slow_workflow, BACKLOG)
    answered_before = {r.answered for r in slow.seen() if r.answered is not None}

    upload(client, bucket, 0, CLEAN, prefix="fast/")
    # Until the fast receiver has both callbacks, or the slow one answered twice more: by then
    # the order is decided.
    decided = len(answered_before) + 2
    fast.wait_for(lambda rs: answered(rs) >= 2 or answered(slow.seen()) >= decided)

    fast_requests = fast.seen()
    assert len(fast_requests) == 2, "the fast receiver waited for the slow one's backlog"
    last_fast = max(r.arrived for r in fast_requests)
    # Only the slow answer in flight when the fast callbacks were queued may finish first.
    overtaking = [r for r in slow.seen() if r.answered is not None
                  and r.answered not in answered_before and r.answered < last_fast]
    assert len(overtaking) <= 1


# --- allowed and denied targets ------------------------------------------------------------------

def without_request_id(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "RequestId"}


def check_url_refused(client, bucket, url, existing):
    body = callback_workflow_body(url, name="refused")
    for call, options in ((client.ci_create_workflow, {}),
                          (client.ci_update_workflow, {"WorkflowId": existing})):
        error = service_error(call, Bucket=bucket, Body=body, ContentType="application/xml",
                              **options)
        assert (error.get_status_code(), error.get_error_code()) == (400, "InvalidArgument"), url
        assert "NotifyConfig.Url" in error.get_error_msg(), url


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/callback",
                                 "http://localhost:{port}/callback",
                                 "https://127.200.1.1/callback"])
def test_a_denied_network_is_refused_at_create_and_update(guarded_server, url):
    client = make_client(guarded_server.port)
    bucket = new_bucket_name()
    client.create_bucket(Bucket=bucket)
    existing = create_inspect_workflow(client, bucket, name="kept", state="Paused")
    before = without_request_id(client.ci_get_workflow(Bucket=bucket))

    check_url_refused(client, bucket, url.format(port=guarded_server.port), existing)

    # Neither a new workflow nor a change to the existing one.
    assert without_request_id(client.ci_get_workflow(Bucket=bucket)) == before
    # A host the list does not name is accepted.
    create_callback_workflow(client, bucket, "http://192.0.2.10:8080/callback")


def test_an_ipv4_mapped_address_does_not_get_past_a_denied_network(guarded_server):
    """::ffff:127.0.0.1 is 127.0.0.1 written as IPv6, and reaches the same loopback."""
    client = make_client(guarded_server.port)
    bucket = new_bucket_name()
    client.create_bucket(Bucket=bucket)
    existing = create_inspect_workflow(client, bucket, name="kept", state="Paused")

    check_url_refused(client, bucket, "http://[::ffff:127.0.0.1]:9/callback", existing)


def test_an_allow_list_admits_only_what_it_matches(own_servers):
    server = own_servers({"BUCKETFLOW_CALLBACK_ALLOW": "10.0.0.0/8,*.example.com"})
    client = make_client(server.port)
    bucket = new_bucket_name()
    client.create_bucket(Bucket=bucket)
    existing = create_inspect_workflow(client, bucket, name="kept", state="Paused")

    check_url_refused(client, bucket, f"http://127.0.0.1:{server.port}/callback", existing)
    create_callback_workflow(client, bucket, "http://10.1.2.3:8080/callback")


def test_a_deny_list_added_later_stops_deliveries_of_existing_workflows(own_servers, receivers):
    receiver = receivers()
    server = own_servers()
    client = make_client(server.port)
    bucket = new_bucket_name()
    client.create_bucket(Bucket=bucket)
    workflow_id = create_callback_workflow(client, bucket, receiver.url())
    server.stop()
    server.start(extra_env={"BUCKETFLOW_CALLBACK_DENY": "127.0.0.0/8"})

    upload(client, bucket, 0, CLEAN)
    [listed] = wait_for_executions(client, bucket, workflow_id, 1)
    failed = wait_for_deliveries(server, {listed["RunId"]}, lambda ds: len(ds) == 2,
                                 state="failed")

    assert [(d["attempts"], d["last_status"]) for d in failed] == [(1, None)] * 2
    # The reason names the setting that refused the target.
    assert all("callback_deny" in d["last_error"].lower() for d in failed), failed
    assert receiver.seen() == []


@pytest.mark.parametrize("notify", [
    {"Type": "TDMQ", "Event": "TaskFinish", "MqRegion": "gz", "MqMode": "Queue",
     "MqName": "workflow-events"},
    {"Type": "Kafka", "Event": "TaskFinish",
     "KafkaConfig": {"Region": "ap-guangzhou", "InstanceId": "ckafka-abcd1234",
                     "Topic": "workflow-events"}},
], ids=["TDMQ", "Kafka"])
def test_message_queue_notify_types_are_refused(client, bucket, notify):
    body = inspect_workflow_body(name="queued")
    body["MediaWorkflow"]["Topology"]["Nodes"]["Start"]["Input"]["NotifyConfig"] = notify

    error = service_error(client.ci_create_workflow, Bucket=bucket, Body=body,
                          ContentType="application/xml")

    assert (error.get_status_code(), error.get_error_code()) == (400, "InvalidArgument")
    assert "NotifyConfig.Type" in error.get_error_msg()
    assert int(client.ci_get_workflow(Bucket=bucket)["TotalCount"]) == 0
