"""Batch (inventory trigger) jobs driven by the official SDK (spec workflow-api.md §10, §4.7,
§9): the SDK's own create / get / cancel / list sequence, Workflow jobs over a prefix, a URL
file and an upload-time window, every refused input with its code, a restart in the middle of a
large scan, and uploads that keep flowing while a batch runs.
"""

import re
import shutil
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from qcloud_cos import CosServiceError
from support import (BACKUP_PREFIX, COS_ENDPOINT, ENGINE_WAIT, Server, as_list, corpus_case,
                     create_inspect_workflow, error_code, find_binary, get_execution,
                     list_executions, make_client, new_bucket_name, read_body, service_error,
                     wait_for_executions)

BATCH_ID = re.compile(r"^b[0-9a-f]{32}$")
RUN_ID = re.compile(r"^i[0-9a-f]{32}$")
CI_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0800$")
CHINA = timezone(timedelta(hours=8))
ENDED = ('Success', 'Failed', 'Cancel')
BATCH_WAIT = 60.0

# Small images: abnormal ones a BackupObject workflow moves, clean ones it leaves alone.
ABNORMAL = [
    "abnormal/zip/pillow__blend_op_over.png",
    "abnormal/pe/pillow__dispose_op_previous_final.png",
    "abnormal/gzip/golang-golang-x-image-dev__gopher-doc.2bpp.lossless.webp",
    "abnormal/gzip/pillow__test_combine_overline_ra.png",
]
CLEAN = [
    "clean/png-plain/pillow__imagedraw_polygon_1px_high.png",
    "clean/png-plain/pillow__cross_scan_line.png",
    "clean/gif-animated/pillow__no_palette.gif",
    "negative/zero-padding/golang-1.19-src__basn3p04-31i.png",
]
TINY = "clean/png-plain/pillow__imagedraw_polygon_1px_high.png"
INSPECT_JOB = {'Tag': 'ImageInspect',
               'JobParam': {'ImageInspect': {'AutoProcess': 'false'}}}


# --- helpers -------------------------------------------------------------------------------------

def create_job(client, bucket, name='batch', job_type='Workflow', **sections) -> dict:
    """Creates a job whose `Input` and `Operation` are the keyword arguments; returns its detail."""
    body = {'Name': name, 'Type': job_type, **sections}
    response = client.ci_create_inventory_trigger_jobs(Bucket=bucket, JobBody=body,
                                                       ContentType='application/xml')
    [detail] = response['JobsDetail']
    return detail


def workflow_job(client, bucket, workflow_ids, name='batch', interval=None, **job_input) -> dict:
    operation = {'WorkflowIds': workflow_ids}
    if interval is not None:
        operation['TimeInterval'] = interval
    return create_job(client, bucket, name, 'Workflow', Input=job_input, Operation=operation)


def get_job(client, bucket, job_id) -> dict:
    [detail] = client.ci_get_inventory_trigger_jobs(Bucket=bucket, JobID=job_id)['JobsDetail']
    return detail


def wait_for_job(client, bucket, job_id, done=lambda d: d['State'] in ENDED,
                 timeout=BATCH_WAIT, poll=0.05) -> dict:
    """Polls the job until `done(detail)`; returns the detail as last seen."""
    deadline = time.monotonic() + timeout
    while True:
        detail = get_job(client, bucket, job_id)
        if done(detail) or time.monotonic() > deadline:
            return detail
        time.sleep(poll)


def progress(detail) -> dict:
    """The job's `Progress`, counts as ints."""
    found = dict(detail['Progress'])
    finished = found.pop('ScanFinished')
    return {**{k: int(v) for k, v in found.items()}, 'ScanFinished': finished}


def finished_progress(selected, skipped=0) -> dict:
    """The `progress` of a job whose scan ended and whose every execution succeeded."""
    return {'SelectedCount': selected, 'SkippedCount': skipped, 'RunningCount': 0,
            'SuccessCount': selected, 'FailedCount': 0, 'CancelCount': 0,
            'ScanFinished': 'true'}


def job_executions(client, bucket, job_id, workflow_id='') -> list:
    """Every execution the job started, through `ci_list_workflowexecution`'s jobId filter."""
    return list_executions(client, bucket, workflow_id, BatchJobId=job_id)


def runs_per_key(executions) -> Counter:
    return Counter(e['Object'] for e in executions)


def once(keys) -> Counter:
    """What `runs_per_key` must be: each key run exactly once."""
    return Counter(set(keys))


def put_many(client, bucket, bodies: dict, threads=8):
    """Uploads {key: bytes} from several threads."""
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda item: client.put_object(Bucket=bucket, Key=item[0], Body=item[1]),
                      bodies.items()))


def tiny_objects(prefix, count) -> dict:
    data = corpus_case(TINY).data
    return {f"{prefix}{index:05d}.png": data for index in range(count)}


def ci_time(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime('%Y-%m-%dT%H:%M:%S%z')


def all_keys(client, bucket) -> set:
    keys, marker = set(), ''
    while True:
        page = client.list_objects(Bucket=bucket, MaxKeys=1000, Marker=marker)
        keys |= {o['Key'] for o in as_list(page.get('Contents'))}
        if page.get('IsTruncated') != 'true':
            return keys
        marker = page.get('NextMarker') or max(keys)


def only_task_result(client, bucket, run_id) -> dict:
    [task] = as_list(get_execution(client, bucket, run_id).get('Tasks'))
    return task['ImageInspectResult']


def check_verdict(result, key, case):
    """An ImageInspect result against the corpus manifest (no automatic action asked for)."""
    assert (result['State'], result['Code'], result['InputObjectName']) == (
        'Success', 'Success', key)
    verdict = result['ProcessResult']
    assert (verdict['PicSize'], verdict['PicType'], verdict['Suspicious']) == (
        str(len(case.data)), case.pic_type, 'true' if case.suspicious else 'false'), case
    if case.suspicious:
        assert (verdict['SuspiciousBeginByte'], verdict['SuspiciousEndByte'],
                verdict['SuspiciousSize'], verdict['SuspiciousType']) == (
            case.begin, case.end, case.size, case.kind), case


# --- the SDK's own sequence (spec §10 "SDK tests") -----------------------------------------------

def test_sdk_image_inspect_job_on_one_object_runs_to_success(client, bucket):
    case = corpus_case(ABNORMAL[0])
    client.put_object(Bucket=bucket, Key='test.png', Body=case.data)

    created = create_job(client, bucket, 'image-inspect-auto-move-batch-process', 'Job',
                         Input={'Object': 'test.png'}, Operation=INSPECT_JOB)

    job_id = created['JobId']
    assert BATCH_ID.match(job_id)
    assert (created['Type'], created['Name'], created['State']) == (
        'Job', 'image-inspect-auto-move-batch-process', 'Submitted')
    assert CI_TIME.match(created['CreationTime'])
    assert (created['StartTime'], created['EndTime']) == ('-', '-')
    assert created['Input'] == {'Object': 'test.png'}
    assert created['Operation'] == INSPECT_JOB
    assert progress(created) == {'SelectedCount': 0, 'SkippedCount': 0, 'RunningCount': 0,
                                 'SuccessCount': 0, 'FailedCount': 0, 'CancelCount': 0,
                                 'ScanFinished': 'false'}

    # The SDK polls until Success or Failed; here the poll is bounded.
    detail = wait_for_job(client, bucket, job_id, lambda d: d['State'] in ('Success', 'Failed'))
    assert (detail['State'], detail['Code'], detail['JobId']) == ('Success', 'Success', job_id)
    assert CI_TIME.match(detail['StartTime']) and CI_TIME.match(detail['EndTime'])
    assert progress(detail) == finished_progress(1)
    [result] = as_list(detail['Operation']['Results']['Result'])
    assert (result['Object'], result['State'], result['Code']) == ('test.png', 'Success',
                                                                    'Success')
    assert RUN_ID.match(result['RunId'])
    check_verdict(result['ImageInspectResult'], 'test.png', case)
    # AutoProcess false: the abnormal image stays where it was.
    assert read_body(client.get_object(Bucket=bucket, Key='test.png')) == case.data
    assert client.object_exists(Bucket=bucket, Key=BACKUP_PREFIX + 'test.png') is False

    # A Job-type execution belongs to no workflow: listed by the job id alone.
    [listed] = job_executions(client, bucket, job_id)
    assert (listed['RunId'], listed['Object'], listed['State']) == (
        result['RunId'], 'test.png', 'Success')
    assert not listed.get('WorkflowId')
    check_verdict(only_task_result(client, bucket, result['RunId']), 'test.png', case)


def test_sdk_create_then_cancel_is_truthy_every_time(client, bucket):
    """The SDK's `test_ci_delete_inventory_trigger_jobs`: create a one-object Job and cancel it
    at once. The cancel must succeed however fast the job ran; repeated to make a race show."""
    client.put_object(Bucket=bucket, Key='test.png', Body=corpus_case(CLEAN[0]).data)
    refused = []
    for _ in range(30):
        job_id = create_job(client, bucket, 'image-inspect-auto-move-batch-process', 'Job',
                            Input={'Object': 'test.png'}, Operation=INSPECT_JOB)['JobId']
        try:
            response = client.ci_delete_inventory_trigger_jobs(Bucket=bucket, JobId=job_id)
        except CosServiceError as error:  # what the SDK's test would die of
            refused.append(error.get_error_msg())
            continue
        assert response and response.status_code == 200
    assert refused == []


def test_sdk_list_jobs_of_type_job(client, bucket):
    client.put_object(Bucket=bucket, Key='test.png', Body=corpus_case(CLEAN[0]).data)
    job_id = create_job(client, bucket, 'listed', 'Job', Input={'Object': 'test.png'},
                        Operation=INSPECT_JOB)['JobId']

    response = client.ci_list_inventory_trigger_jobs(Bucket=bucket, Type='Job')

    assert response
    assert [d['JobId'] for d in response['JobsDetail']] == [job_id]


# --- cancel --------------------------------------------------------------------------------------

CANCEL_ATTEMPTS = 30


def test_cancel_stops_a_running_job(client, bucket):
    """Cancels jobs midway through their scan, many times over so that a cancel landing
    between two steps of the scanner shows: no job may start work after its cancel."""
    objects = tiny_objects('many/', 600)
    put_many(client, bucket, objects)
    workflow_id = create_inspect_workflow(client, bucket, prefix='many/', state='Paused')

    job_ids = []
    for attempt in range(CANCEL_ATTEMPTS):
        job_id = workflow_job(client, bucket, workflow_id, Prefix='many/')['JobId']
        scanning = wait_for_job(client, bucket, job_id,
                                lambda d: progress(d)['SelectedCount'] > 0, poll=0.005)
        assert scanning['State'] == 'Running'
        response = client.ci_delete_inventory_trigger_jobs(Bucket=bucket, JobId=job_id)
        assert response.status_code == 200 and response.content == b''
        if attempt == 0:
            # A second cancel is answered the same way.
            again = client.ci_delete_inventory_trigger_jobs(Bucket=bucket, JobId=job_id)
            assert again.status_code == 200
        job_ids.append(job_id)

    started_after_cancel = {}
    for job_id in job_ids:
        detail = wait_for_job(client, bucket, job_id,
                              lambda d: progress(d)['RunningCount'] == 0)
        counts = progress(detail)
        assert (detail['State'], counts['RunningCount']) == ('Cancel', 0)
        assert CI_TIME.match(detail['EndTime'])
        executions = job_executions(client, bucket, job_id, workflow_id)
        assert all(n == 1 for n in runs_per_key(executions).values())
        assert set(Counter(e['State'] for e in executions)) <= {'Success', 'Cancel'}
        # Every execution is one the scan selected before the cancel, and is counted.
        if len(executions) != counts['SelectedCount'] or counts['SelectedCount'] != (
                counts['SuccessCount'] + counts['FailedCount'] + counts['CancelCount']):
            started_after_cancel[job_id] = (len(executions), counts)
    assert started_after_cancel == {}


def test_cancel_of_an_unknown_job_is_refused(client, bucket):
    error = service_error(client.ci_delete_inventory_trigger_jobs, Bucket=bucket,
                          JobId='b' + '0' * 32)
    assert (error.get_status_code(), error.get_error_code()) == (400, 'InvalidArgument')


def test_cancel_of_an_ended_job_changes_nothing(client, bucket):
    """The SDK cancels right after creating, when a small job may already be done: that
    cancel is answered 200 (as for a job cancelled twice) and the job keeps its outcome."""
    client.put_object(Bucket=bucket, Key='test.png', Body=corpus_case(CLEAN[0]).data)
    job_id = create_job(client, bucket, 'ended', 'Job', Input={'Object': 'test.png'},
                        Operation=INSPECT_JOB)['JobId']
    ended = wait_for_job(client, bucket, job_id)
    assert ended['State'] == 'Success'

    response = client.ci_delete_inventory_trigger_jobs(Bucket=bucket, JobId=job_id)

    assert response.status_code == 200
    assert get_job(client, bucket, job_id) == ended


def test_get_of_an_unknown_job_names_it(client, bucket):
    unknown = 'b' + '1' * 32
    response = client.ci_get_inventory_trigger_jobs(Bucket=bucket, JobID=unknown)
    assert response['NonExistJobIds'] == unknown
    assert 'JobsDetail' not in response


# --- list ----------------------------------------------------------------------------------------

def test_list_filters_by_type_name_id_workflow_state_and_pages(client, bucket):
    client.put_object(Bucket=bucket, Key='test.png', Body=corpus_case(CLEAN[0]).data)
    workflow_id = create_inspect_workflow(client, bucket, state='Paused')
    first = create_job(client, bucket, 'first', 'Job', Input={'Object': 'test.png'},
                       Operation=INSPECT_JOB)['JobId']
    second = create_job(client, bucket, 'second', 'Job', Input={'Object': 'test.png'},
                        Operation=INSPECT_JOB)['JobId']
    flow = workflow_job(client, bucket, workflow_id, name='flow', Object='test.png')['JobId']
    for job_id in (first, second, flow):
        assert wait_for_job(client, bucket, job_id)['State'] == 'Success'

    def listed(**query):
        response = client.ci_list_inventory_trigger_jobs(Bucket=bucket, **query)
        return [d['JobId'] for d in as_list(response.get('JobsDetail'))]

    assert listed(Type='Job') == [second, first]
    assert listed(Type='Job', OrderByTime='Asc') == [first, second]
    assert listed() == [flow]                       # the SDK's default Type is Workflow
    assert listed(Type='Workflow', WorkflowId=workflow_id) == [flow]
    assert listed(Type='Job', Name='first') == [first]
    assert listed(Type='Job', JobId=second) == [second]
    assert listed(Type='Job', States='Failed') == []
    assert listed(Type='Job', States='Success') == [second, first]

    page = client.ci_list_inventory_trigger_jobs(Bucket=bucket, Type='Job', Size=1)
    assert [d['JobId'] for d in page['JobsDetail']] == [second] and page['NextToken']
    page = client.ci_list_inventory_trigger_jobs(Bucket=bucket, Type='Job', Size=1,
                                                 NextToken=page['NextToken'])
    assert [d['JobId'] for d in page['JobsDetail']] == [first]
    assert not page.get('NextToken')


# --- a Workflow job over a prefix ----------------------------------------------------------------

def test_workflow_job_over_a_prefix_runs_each_object_once(client, bucket):
    cases = [corpus_case(p) for p in ABNORMAL + CLEAN]
    uploads = {}
    for index in range(300):
        case = cases[index % len(cases)]
        uploads[f"batch/{index:03d}-{case.path.rsplit('/', 1)[-1]}"] = case
    outside = {'other/a.png': cases[0].data, 'batc.png': cases[0].data}
    # A Paused workflow: the uploads start nothing, the batch runs it all the same.
    workflow_id = create_inspect_workflow(client, bucket, prefix='batch/', state='Paused')
    put_many(client, bucket, {**{k: c.data for k, c in uploads.items()}, **outside})
    assert list_executions(client, bucket, workflow_id) == []

    created = workflow_job(client, bucket, workflow_id, Prefix='batch/')
    assert (created['Type'], created['State']) == ('Workflow', 'Submitted')
    assert created['Input'] == {'Prefix': 'batch/'}
    assert created['Operation'] == {'WorkflowIds': workflow_id}
    detail = wait_for_job(client, bucket, created['JobId'])

    assert (detail['State'], detail['Code']) == ('Success', 'Success')
    assert progress(detail) == finished_progress(len(uploads))
    executions = job_executions(client, bucket, created['JobId'], workflow_id)
    assert runs_per_key(executions) == once(uploads)
    assert {(e['WorkflowId'], e['State']) for e in executions} == {(workflow_id, 'Success')}
    assert len({e['RunId'] for e in executions}) == len(uploads)
    # The workflow ran nothing else.
    assert len(list_executions(client, bucket, workflow_id)) == len(uploads)

    # Abnormal images were moved with their bytes, clean ones left alone, nothing else touched.
    abnormal = {k for k, c in uploads.items() if c.suspicious}
    assert abnormal and len(abnormal) < len(uploads)
    expected = (set(uploads) - abnormal) | {BACKUP_PREFIX + k for k in abnormal} | set(outside)
    assert all_keys(client, bucket) == expected

    def stored(key):
        return key, read_body(client.get_object(Bucket=bucket, Key=key))

    wanted = {(BACKUP_PREFIX + k if k in abnormal else k): c.data for k, c in uploads.items()}
    with ThreadPoolExecutor(8) as pool:
        found = dict(pool.map(stored, wanted))
    assert [k for k in wanted if found[k] != wanted[k]] == []

    by_key = {e['Object']: e for e in executions}
    for key in (sorted(abnormal)[0], sorted(set(uploads) - abnormal)[0]):
        check_verdict(only_task_result(client, bucket, by_key[key]['RunId']), key, uploads[key])


def test_job_type_results_list_the_first_hundred_objects(client, bucket):
    objects = tiny_objects('many/', 120)
    put_many(client, bucket, objects)

    job_id = create_job(client, bucket, 'many', 'Job', Input={'Prefix': 'many/'},
                        Operation=INSPECT_JOB)['JobId']
    detail = wait_for_job(client, bucket, job_id)

    assert detail['State'] == 'Success'
    assert progress(detail) == finished_progress(120)
    results = as_list(detail['Operation']['Results']['Result'])
    assert len(results) == 100
    assert {r['State'] for r in results} == {'Success'}
    assert {r['Object'] for r in results} <= set(objects)
    executions = job_executions(client, bucket, job_id)
    assert runs_per_key(executions) == once(objects)


# --- UrlFile input -------------------------------------------------------------------------------

def test_url_file_lists_keys_and_urls_of_this_bucket(client, bucket):
    data = corpus_case(TINY).data
    listed = ['url/plain.png', 'url/with space.png', 'url/c.png']
    put_many(client, bucket, {**{k: data for k in listed}, 'url/not-listed.png': data})
    host = f"{bucket}.{COS_ENDPOINT}"
    lines = ['url/plain.png',
             f'https://{host}/url/with%20space.png',
             f'http://{host}/url/c.png',
             '',
             'url/missing.png']
    client.put_object(Bucket=bucket, Key='lists/urls.txt', Body='\r\n'.join(lines).encode())
    workflow_id = create_inspect_workflow(client, bucket, prefix='url/', state='Paused')

    created = workflow_job(client, bucket, workflow_id, UrlFile='lists/urls.txt')
    assert created['Input'] == {'UrlFile': 'lists/urls.txt'}
    detail = wait_for_job(client, bucket, created['JobId'])

    assert (detail['State'], detail['Code']) == ('Success', 'Success')
    assert progress(detail) == finished_progress(3, skipped=1)
    assert '1' in detail['Message'] and 'skipped' in detail['Message']
    executions = job_executions(client, bucket, created['JobId'], workflow_id)
    assert runs_per_key(executions) == once(listed)


def test_url_file_naming_another_bucket_fails_the_job(client, bucket, other_bucket):
    data = corpus_case(TINY).data
    client.put_object(Bucket=bucket, Key='url/plain.png', Body=data)
    client.put_object(Bucket=other_bucket, Key='url/plain.png', Body=data)
    foreign = f'https://{other_bucket}.{COS_ENDPOINT}/url/plain.png'
    client.put_object(Bucket=bucket, Key='lists/urls.txt',
                      Body=f'url/plain.png\n{foreign}\n'.encode())
    workflow_id = create_inspect_workflow(client, bucket, prefix='url/', state='Paused')

    job_id = workflow_job(client, bucket, workflow_id, UrlFile='lists/urls.txt')['JobId']
    detail = wait_for_job(client, bucket, job_id)

    assert (detail['State'], detail['Code']) == ('Failed', 'InvalidArgument')
    assert foreign in detail['Message']
    assert CI_TIME.match(detail['EndTime'])


# --- what a job selects --------------------------------------------------------------------------

def test_time_interval_narrows_the_selection(client, bucket):
    objects = tiny_objects('ti/', 5)
    put_many(client, bucket, objects)
    workflow_id = create_inspect_workflow(client, bucket, prefix='ti/', state='Paused')
    now = datetime.now(CHINA)

    past = workflow_job(client, bucket, workflow_id, Prefix='ti/', interval={
        'Start': '2020-01-01T00:00:00+0800', 'End': '2020-12-31T23:59:59+0800'})['JobId']
    future = workflow_job(client, bucket, workflow_id, Prefix='ti/', interval={
        'Start': ci_time(now + timedelta(hours=1))})['JobId']
    around = workflow_job(client, bucket, workflow_id, Prefix='ti/', interval={
        'Start': ci_time(now - timedelta(hours=1)), 'End': ci_time(now + timedelta(hours=1))})

    for job_id in (past, future):
        detail = wait_for_job(client, bucket, job_id)
        assert (detail['State'], detail['Code']) == ('Failed', 'EmptySelection'), job_id
        assert progress(detail) == finished_progress(0)
        assert job_executions(client, bucket, job_id, workflow_id) == []
    detail = wait_for_job(client, bucket, around['JobId'])
    assert around['Operation']['TimeInterval']['End'] == ci_time(now + timedelta(hours=1))
    assert (detail['State'], detail['Code']) == ('Success', 'Success')
    assert progress(detail) == finished_progress(5)
    assert runs_per_key(job_executions(client, bucket, around['JobId'], workflow_id)) == (
        once(objects))


@pytest.mark.parametrize("job_type", ['Workflow', 'Job'])
def test_a_prefix_that_selects_nothing_fails_with_empty_selection(client, bucket, job_type):
    client.put_object(Bucket=bucket, Key='elsewhere/a.png', Body=corpus_case(TINY).data)
    workflow_id = create_inspect_workflow(client, bucket, prefix='elsewhere/', state='Paused')
    if job_type == 'Workflow':
        job_id = workflow_job(client, bucket, workflow_id, Prefix='nothing/')['JobId']
    else:
        job_id = create_job(client, bucket, 'empty', 'Job', Input={'Prefix': 'nothing/'},
                            Operation=INSPECT_JOB)['JobId']

    detail = wait_for_job(client, bucket, job_id)

    assert (detail['State'], detail['Code']) == ('Failed', 'EmptySelection')
    assert detail['Message']
    assert progress(detail) == finished_progress(0)
    assert CI_TIME.match(detail['StartTime']) and CI_TIME.match(detail['EndTime'])
    assert job_executions(client, bucket, job_id, workflow_id) == []


def test_a_slash_prefix_selects_the_whole_bucket(client, bucket):
    """As in a workflow's ObjectPrefix, a leading `/` is ignored: `/` is every object."""
    keys = ['a.png', 'dir/b.png', 'other/c.png']
    for key in keys:
        client.put_object(Bucket=bucket, Key=key, Body=corpus_case(TINY).data)
    job_id = create_job(client, bucket, 'whole', 'Job', Input={'Prefix': '/'},
                        Operation=INSPECT_JOB)['JobId']

    detail = wait_for_job(client, bucket, job_id)

    assert detail['State'] == 'Success'
    assert progress(detail)['SelectedCount'] == len(keys)


def test_objects_uploaded_after_the_job_was_created_are_not_selected(client, bucket):
    """Spec §10: the upload-time window defaults to 0 … now, so the job works on the objects
    that existed when it was created, not on those that arrive while it scans."""
    objects = tiny_objects('snap/', 600)
    put_many(client, bucket, objects)
    workflow_id = create_inspect_workflow(client, bucket, prefix='snap/', state='Paused')
    job_id = workflow_job(client, bucket, workflow_id, Prefix='snap/')['JobId']

    # After every existing key, so an unfinished scan is bound to reach it.
    assert progress(get_job(client, bucket, job_id))['ScanFinished'] == 'false'
    client.put_object(Bucket=bucket, Key='snap/zzzz-late.png', Body=corpus_case(TINY).data)
    detail = wait_for_job(client, bucket, job_id)

    assert detail['State'] == 'Success'
    assert progress(detail) == finished_progress(len(objects))
    executions = job_executions(client, bucket, job_id, workflow_id)
    assert runs_per_key(executions) == once(objects)


# --- refused requests ----------------------------------------------------------------------------

def refused_bodies(workflow_id) -> dict:
    """Create bodies the server must refuse: {case: (body, code, words in the message)}."""
    unknown = 'w' + '0' * 32
    prefix = {'Prefix': 'p/'}
    workflow = {'WorkflowIds': workflow_id}

    def flow(job_input=prefix, **operation):
        return {'Name': 'bad', 'Type': 'Workflow', 'Input': job_input,
                'Operation': {**workflow, **operation}}

    job = {'Name': 'bad', 'Type': 'Job', 'Input': prefix, 'Operation': INSPECT_JOB}
    return {
        'unknown workflow': (flow(WorkflowIds=unknown), 'InvalidArgument', [unknown]),
        'one unknown of two': (flow(WorkflowIds=f'{workflow_id},{unknown}'), 'InvalidArgument',
                               [unknown]),
        'no WorkflowIds': ({**flow(), 'Operation': {}}, 'InvalidArgument', ['WorkflowIds']),
        'missing Object': (flow({'Object': 'nope.png'}), 'ResourceNotFound', ['nope.png']),
        'missing UrlFile': (flow({'UrlFile': 'nope.txt'}), 'ResourceNotFound', ['nope.txt']),
        'Manifest': (flow({'Manifest': 'inventory/manifest.json'}), 'InvalidArgument',
                     ['Manifest']),
        'no Input': ({k: v for k, v in flow().items() if k != 'Input'}, 'InvalidArgument',
                     ['Input']),
        'two inputs': (flow({'Prefix': 'p/', 'Object': 'p/a.png'}), 'InvalidArgument',
                       ['Input']),
        'Start after End': (flow(TimeInterval={'Start': '2023-12-13T20:35:40+0800',
                                               'End': '2023-12-12T20:35:40+0800'}),
                            'InvalidArgument', ['TimeInterval']),
        'bad Start': (flow(TimeInterval={'Start': 'yesterday'}), 'InvalidArgument',
                      ['TimeInterval']),
        'unsupported Tag': ({**job, 'Operation': {'Tag': 'Transcode'}}, 'InvalidArgument',
                            ['Transcode', 'ImageInspect']),
        'no Tag': ({**job, 'Operation': {'JobParam': INSPECT_JOB['JobParam']}},
                   'InvalidArgument', ['Tag']),
        'bad ProcessType': ({**job, 'Operation': {'Tag': 'ImageInspect', 'JobParam': {
            'ImageInspect': {'AutoProcess': 'true', 'ProcessType': 'Shred'}}}},
            'InvalidArgument', ['Shred']),
        'bad Type': ({**job, 'Type': 'Batch'}, 'InvalidArgument', ['Batch']),
        'no Name': ({k: v for k, v in job.items() if k != 'Name'}, 'InvalidArgument', ['Name']),
        'bad Name': ({**job, 'Name': 'a b!'}, 'InvalidArgument', ['Name']),
        'long Name': ({**job, 'Name': 'n' * 129}, 'InvalidArgument', ['128']),
    }


@pytest.mark.parametrize("case", list(refused_bodies('w')))
def test_bad_create_requests_are_refused(client, bucket, case):
    client.put_object(Bucket=bucket, Key='p/a.png', Body=corpus_case(TINY).data)
    workflow_id = create_inspect_workflow(client, bucket, prefix='p/', state='Paused')
    body, code, words = refused_bodies(workflow_id)[case]

    error = service_error(client.ci_create_inventory_trigger_jobs, Bucket=bucket, JobBody=body,
                          ContentType='application/xml')

    assert (error.get_status_code(), error.get_error_code()) == (400, code)
    assert all(word in error.get_error_msg() for word in words), error.get_error_msg()
    for job_type in ('Workflow', 'Job'):
        assert not client.ci_list_inventory_trigger_jobs(Bucket=bucket, Type=job_type).get(
            'JobsDetail')


@pytest.mark.parametrize("body,code", [
    (b'', 'MissingContent'),
    (b'<Request><Name>bad</Name>', 'InvalidContent'),
    (b'not xml at all', 'InvalidContent'),
    (b'<Job><Name>bad</Name></Job>', 'InvalidContent'),
])
def test_malformed_create_bodies_are_refused(raw, bucket, body, code):
    response = raw.request('POST', bucket, 'inventorytriggerjob', data=body,
                           headers={'Content-Type': 'application/xml'})
    assert (response.status_code, error_code(response)) == (400, code)


# --- restarts and load ---------------------------------------------------------------------------

@pytest.fixture
def own_server():
    server = Server(find_binary())
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.mark.parametrize("how", ['restart', 'sigkill'])
def test_a_restart_in_the_middle_of_a_large_batch_misses_and_repeats_nothing(own_server, how):
    client = make_client(own_server.port)
    bucket = new_bucket_name()
    client.create_bucket(Bucket=bucket)
    objects = tiny_objects('big/', 1500)
    put_many(client, bucket, objects)
    workflow_id = create_inspect_workflow(client, bucket, prefix='big/', state='Paused')
    job_id = workflow_job(client, bucket, workflow_id, Prefix='big/')['JobId']

    midway = wait_for_job(client, bucket, job_id,
                          lambda d: d['State'] in ENDED or progress(d)['SuccessCount'] >= 100)
    if how == 'restart':
        own_server.restart()
    else:
        own_server.process.kill()
        own_server.process.wait()
        own_server.start()
    assert midway['State'] == 'Running', "the job ended before the restart"
    assert progress(midway)['SuccessCount'] < len(objects)

    detail = wait_for_job(client, bucket, job_id)
    assert (detail['State'], detail['Code']) == ('Success', 'Success')
    assert progress(detail) == finished_progress(len(objects))
    executions = job_executions(client, bucket, job_id, workflow_id)
    runs = runs_per_key(executions)
    assert {k: n for k, n in runs.items() if n != 1} == {}
    assert sorted(set(objects) - set(runs)) == []
    assert set(runs) == set(objects)
    assert Counter(e['State'] for e in executions) == {'Success': len(objects)}


def test_uploads_keep_flowing_while_a_batch_runs(client, bucket):
    bulk = tiny_objects('bulk/', 1000)
    put_many(client, bucket, bulk)
    paused = create_inspect_workflow(client, bucket, name='bulk', prefix='bulk/',
                                     state='Paused')
    live = create_inspect_workflow(client, bucket, name='live', prefix='live/')
    cases = [corpus_case(p) for p in (ABNORMAL[0], CLEAN[0], ABNORMAL[1], CLEAN[1])]
    job_id = workflow_job(client, bucket, paused, Prefix='bulk/')['JobId']
    started = wait_for_job(client, bucket, job_id,
                           lambda d: d['State'] in ENDED or progress(d)['SelectedCount'] > 0)
    assert started['State'] == 'Running'

    uploads = {f"live/{i}-{c.path.rsplit('/', 1)[-1]}": c for i, c in enumerate(cases)}
    for key, case in uploads.items():
        client.put_object(Bucket=bucket, Key=key, Body=case.data)

    # The job as seen right after the uploads' runs were all seen to end.
    deadline = time.monotonic() + ENGINE_WAIT
    while True:
        executions = list_executions(client, bucket, live)
        done = len(executions) == len(uploads) and all(e['State'] != 'Running'
                                                       for e in executions)
        if done or time.monotonic() > deadline:
            job_then = get_job(client, bucket, job_id)
            break
        time.sleep(0.02)
    assert runs_per_key(executions) == once(uploads)
    assert {e['State'] for e in executions} == {'Success'}
    assert job_then['State'] == 'Running', progress(job_then)
    assert progress(job_then)['SuccessCount'] < len(bulk)

    detail = wait_for_job(client, bucket, job_id)
    assert (detail['State'], progress(detail)) == ('Success', finished_progress(len(bulk)))
    assert runs_per_key(job_executions(client, bucket, job_id, paused)) == once(bulk)
    # The upload-triggered runs belong to no batch job.
    assert job_executions(client, bucket, job_id, live) == []
    assert len(wait_for_executions(client, bucket, live, len(uploads))) == len(uploads)
