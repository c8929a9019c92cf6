"""The workflow engine driven by the official SDK (spec workflow-api.md §3.2, §3.4, §4.5, §4.7,
§4.8, §6, §7, §9): uploads start executions, ImageInspect judges the corpus images as the
manifest says, the automatic actions happen exactly once, and executions can be triggered,
listed and read as the seed's own functions do it.
"""

import re
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

import pytest
from support import (BACKUP_PREFIX, REGION, as_list, corpus_case, create_inspect_workflow,
                     get_execution, list_executions, make_client, read_body, service_error,
                     wait_for_execution, wait_for_executions)

RUN_ID = re.compile(r"^i[0-9a-f]{32}$")
JOB_ID = re.compile(r"^c[0-9a-f]{32}$")
CI_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0800$")
CHINA = timezone(timedelta(hours=8))

# Abnormal images sent with put_object: every leading format, MPEG-TS and other payloads.
ABNORMAL = [
    "abnormal/mpeg-ts/golang-1.19-src__basn3p04-31i.png",
    "abnormal/mpeg-ts/derived__restart.jpg",
    "abnormal/mpeg-ts/pillow__pal8os2.bmp",
    "abnormal/mpeg-ts/golang-1.19-src__video-001.gif",
    "abnormal/mpeg-ts/pillow__hopper_orientation_3.webp",
    "abnormal/zip/pillow__blend_op_over.png",
    "abnormal/elf/pillow__missing_background.gif",
    "abnormal/pure-ts/renamed_ts_1.jpg",
]
# Abnormal images over 1 MiB, sent with upload_file in 1 MiB parts (multipart).
ABNORMAL_LARGE = [
    "abnormal/mpeg-ts-large/pillow__tiff_adobe_deflate.png",
    "abnormal/mpeg-ts-large/piexif__large.jpg",
]
CLEAN = [
    "clean/png-plain/pillow__imagedraw_polygon_1px_high.png",
    "clean/jpeg-baseline/pillow__jfif_unit_cm.jpg",
    "clean/bmp-plain/pillow__pal4.bmp",
    "clean/gif-static/golang-1.19-src__triangle-001.gif",
    "clean/webp-lossy/golang-golang-x-image-dev__blue-purple-pink.lossy.webp",
    "clean/webp-lossless/golang-golang-x-image-dev__gopher-doc.2bpp.lossless.webp",
    "negative/zero-padding/golang-1.19-src__basn3p04-31i.png",
]


def key_for(index, case, prefix="test/"):
    return f"{prefix}{index:02d}-{case.path.rsplit('/', 1)[-1]}"


def by_object(executions) -> dict:
    found = {}
    for execution in executions:
        found.setdefault(execution['Object'], []).append(execution)
    return found


def only_task(execution) -> dict:
    tasks = as_list(execution.get('Tasks'))
    assert len(tasks) == 1, tasks
    return tasks[0]


def check_inspected(bucket, execution, key, case, auto_process):
    """The execution of one ImageInspect run, field by field against the manifest row."""
    assert (execution['State'], execution['Object']) == ('Success', key)
    assert RUN_ID.match(execution['RunId']) and CI_TIME.match(execution['CreateTime'])
    task = only_task(execution)
    assert (task['Type'], task['Name'], task['State'], task['Code']) == (
        'ImageInspect', 'ImageInspectNode', 'Success', 'Success')
    assert JOB_ID.match(task['JobId'])
    assert CI_TIME.match(task['StartTime']) and CI_TIME.match(task['EndTime'])
    result = task['ImageInspectResult']
    assert (result['State'], result['Code'], result['InputObjectName']) == (
        'Success', 'Success', key)
    # Whether the vendor percent-encodes the key here is undocumented; either reads back.
    assert unquote(result['InputObjectUrl']) == (
        f"https://{bucket}.cos.{REGION}.myqcloud.com/{key}")
    process = result['ProcessResult']
    expected = {'PicSize': str(len(case.data)), 'PicType': case.pic_type,
                'Suspicious': 'true' if case.suspicious else 'false'}
    if case.suspicious:
        expected.update(SuspiciousBeginByte=case.begin, SuspiciousEndByte=case.end,
                        SuspiciousSize=case.size, SuspiciousType=case.kind)
        if auto_process:
            expected['AutoProcessResult'] = {'Code': 'Success', 'Message': 'Success'}
    assert process == expected, case


def check_untouched(client, anonymous_client, bucket, key, data):
    assert read_body(client.get_object(Bucket=bucket, Key=key)) == data
    assert client.get_object_acl(Bucket=bucket, Key=key)['CannedACL'] == 'public-read'
    assert read_body(anonymous_client.get_object(Bucket=bucket, Key=key)) == data


def check_handled(client, anonymous_client, bucket, key, data, process_type):
    """What ProcessType does to an abnormal image (spec §3.6)."""
    if process_type == 'BackupObject':
        assert read_body(client.get_object(Bucket=bucket, Key=BACKUP_PREFIX + key)) == data
        assert client.object_exists(Bucket=bucket, Key=key) is False
    elif process_type == 'SwitchObjectToPrivate':
        assert service_error(anonymous_client.get_object, Bucket=bucket,
                             Key=key).get_status_code() == 403
        assert read_body(client.get_object(Bucket=bucket, Key=key)) == data
        assert client.get_object_acl(Bucket=bucket, Key=key)['CannedACL'] == 'private'
    else:
        assert service_error(client.head_object, Bucket=bucket, Key=key).get_status_code() == 404
    if process_type != 'BackupObject':
        assert client.object_exists(Bucket=bucket, Key=BACKUP_PREFIX + key) is False


def all_keys(client, bucket) -> set:
    return {o['Key'] for o in as_list(client.list_objects(Bucket=bucket, MaxKeys=1000)
                                      .get('Contents'))}


# --- uploads start executions, and their actions happen -----------------------------------------

@pytest.mark.parametrize("process_type,auto_process", [
    ('BackupObject', True), ('SwitchObjectToPrivate', True), ('DeleteObject', True),
    ('BackupObject', False), ('SwitchObjectToPrivate', False), ('DeleteObject', False),
])
def test_uploaded_images_are_inspected_and_abnormal_ones_handled(
        client, anonymous_client, bucket, tmp_path, process_type, auto_process):
    workflow_id = create_inspect_workflow(client, bucket, process_type=process_type,
                                          auto_process=auto_process)
    uploads = {}
    for index, case in enumerate(c for p in ABNORMAL + CLEAN for c in [corpus_case(p)]):
        key = key_for(index, case)
        client.put_object(Bucket=bucket, Key=key, Body=case.data, ACL='public-read')
        uploads[key] = case
    for index, case in enumerate((corpus_case(p) for p in ABNORMAL_LARGE), start=len(uploads)):
        key = key_for(index, case)
        local = tmp_path / key.replace('/', '_')
        local.write_bytes(case.data)
        client.upload_file(Bucket=bucket, Key=key, LocalFilePath=str(local), PartSize=1,
                           MAXThread=2, ACL='public-read')
        uploads[key] = case

    executions = by_object(wait_for_executions(client, bucket, workflow_id, len(uploads)))

    assert sorted(executions) == sorted(uploads)
    for key, case in uploads.items():
        assert len(executions[key]) == 1, key
        execution = get_execution(client, bucket, executions[key][0]['RunId'])
        assert execution['WorkflowId'] == workflow_id
        check_inspected(bucket, execution, key, case, auto_process)
        if case.suspicious and auto_process:
            check_handled(client, anonymous_client, bucket, key, case.data, process_type)
        else:
            check_untouched(client, anonymous_client, bucket, key, case.data)
    # Nothing else appeared: no backup of a clean image, no backup of a backup.
    kept = {k for k, c in uploads.items() if not (c.suspicious and auto_process)}
    if process_type == 'BackupObject' and auto_process:
        kept |= {BACKUP_PREFIX + k for k, c in uploads.items() if c.suspicious}
    elif process_type == 'SwitchObjectToPrivate' and auto_process:
        kept |= {k for k, c in uploads.items() if c.suspicious}
    assert all_keys(client, bucket) == kept


def test_multipart_upload_starts_its_execution_on_complete(client, bucket):
    workflow_id = create_inspect_workflow(client, bucket)
    case = corpus_case(ABNORMAL_LARGE[0])
    data = case.data
    upload_id = client.create_multipart_upload(Bucket=bucket, Key='test/mp.png')['UploadId']
    parts = []
    for number, start in enumerate(range(0, len(data), 1024 * 1024), start=1):
        etag = client.upload_part(Bucket=bucket, Key='test/mp.png', PartNumber=number,
                                  UploadId=upload_id, Body=data[start:start + 1024 * 1024])['ETag']
        parts.append({'PartNumber': number, 'ETag': etag})
    assert list_executions(client, bucket, workflow_id) == []

    client.complete_multipart_upload(Bucket=bucket, Key='test/mp.png', UploadId=upload_id,
                                     MultipartUpload={'Part': parts})

    [listed] = list_executions(client, bucket, workflow_id)
    execution = wait_for_execution(client, bucket, listed['RunId'])
    check_inspected(bucket, execution, 'test/mp.png', case, auto_process=True)
    assert read_body(client.get_object(Bucket=bucket, Key=BACKUP_PREFIX + 'test/mp.png')) == data
    assert client.object_exists(Bucket=bucket, Key='test/mp.png') is False


def test_uploads_that_match_no_active_workflow_start_nothing(client, bucket):
    png = corpus_case(ABNORMAL[0]).data
    active = create_inspect_workflow(client, bucket, name='custom', prefix='test/',
                                     ext_filter={'State': 'On', 'Custom': 'true',
                                                 'CustomExts': 'png'})
    images = create_inspect_workflow(client, bucket, name='images', prefix='img/',
                                     ext_filter={'State': 'On', 'Image': 'true'})
    paused = create_inspect_workflow(client, bucket, name='paused', prefix='paused/',
                                     state='Paused')

    client.put_object(Bucket=bucket, Key='other/a.png', Body=png)      # outside every prefix
    client.put_object(Bucket=bucket, Key='tes/a.png', Body=png)        # not quite the prefix
    client.put_object(Bucket=bucket, Key='test/a.jpg', Body=png)       # CustomExts is png only
    client.put_object(Bucket=bucket, Key='test/a', Body=png)           # no suffix at all
    client.put_object(Bucket=bucket, Key='img/a.txt', Body=png)        # not an image suffix
    client.put_object(Bucket=bucket, Key='paused/a.png', Body=png)     # Paused workflow

    # Executions are committed with the upload, so the lists are final once the PUTs returned.
    for workflow_id in (active, images, paused):
        assert list_executions(client, bucket, workflow_id) == []

    client.put_object(Bucket=bucket, Key='test/b.PNG', Body=png)
    client.put_object(Bucket=bucket, Key='img/b.webp', Body=png)
    assert [e['Object'] for e in list_executions(client, bucket, active)] == ['test/b.PNG']
    assert [e['Object'] for e in list_executions(client, bucket, images)] == ['img/b.webp']
    assert list_executions(client, bucket, paused) == []


def test_copy_into_the_prefix_starts_one_execution(client, anonymous_client, bucket):
    case = corpus_case(ABNORMAL[1])
    workflow_id = create_inspect_workflow(client, bucket)
    client.put_object(Bucket=bucket, Key='incoming/a.jpg', Body=case.data)
    assert list_executions(client, bucket, workflow_id) == []

    client.copy_object(Bucket=bucket, Key='test/a.jpg',
                       CopySource={'Bucket': bucket, 'Key': 'incoming/a.jpg', 'Region': REGION})

    [listed] = list_executions(client, bucket, workflow_id)
    execution = wait_for_execution(client, bucket, listed['RunId'])
    check_inspected(bucket, execution, 'test/a.jpg', case, auto_process=True)
    check_handled(client, anonymous_client, bucket, 'test/a.jpg', case.data, 'BackupObject')
    assert read_body(client.get_object(Bucket=bucket, Key='incoming/a.jpg')) == case.data
    assert len(list_executions(client, bucket, workflow_id)) == 1


def test_the_engines_own_backup_move_starts_nothing(client, bucket):
    case = corpus_case(ABNORMAL[0])
    workflow_id = create_inspect_workflow(client, bucket, prefix='/')
    client.put_object(Bucket=bucket, Key='a.png', Body=case.data)

    [listed] = wait_for_executions(client, bucket, workflow_id, 1)

    # The move commits with the task's outcome, so a run it started would be listed by now.
    assert listed['State'] == 'Success'
    assert all_keys(client, bucket) == {BACKUP_PREFIX + 'a.png'}
    assert [e['Object'] for e in list_executions(client, bucket, workflow_id)] == ['a.png']


def test_text_under_the_prefix_fails_with_resource_not_supported(client, bucket):
    workflow_id = create_inspect_workflow(client, bucket)
    client.put_object(Bucket=bucket, Key='test/notes.txt', Body=b'just some text\n' * 40,
                      ContentType='text/plain')

    [listed] = wait_for_executions(client, bucket, workflow_id, 1)

    assert listed['State'] == 'Failed'
    execution = get_execution(client, bucket, listed['RunId'])
    assert execution['State'] == 'Failed'
    task = only_task(execution)
    assert (task['Type'], task['Name'], task['State'], task['Code']) == (
        'ImageInspect', 'ImageInspectNode', 'Failed', 'ResourceNotSupported')
    assert JOB_ID.match(task['JobId'])
    assert task['Message']
    assert read_body(client.get_object(Bucket=bucket, Key='test/notes.txt')) == (
        b'just some text\n' * 40)


# --- the seed, verbatim --------------------------------------------------------------------------
# From /work/shared/seed/000_cd9b54ca292f7417.txt: re-indented (the page lost its indentation)
# and the placeholder ids replaced by the module globals `workflow_id` and `run_id`, which the
# test sets, as it sets `client` and `bucket_name`.

client = None
bucket_name = None
workflow_id = None
run_id = None


def ci_trigger_workflow():
    # 测试工作流接口
    response = client.ci_trigger_workflow(
        Bucket=bucket_name,
        WorkflowId=workflow_id,
        Key='test.mp4'
    )
    print(response)
    return response


def ci_list_workflowexecution():
    # 获取工作流实例详情列表接口
    response = client.ci_list_workflowexecution(
        Bucket=bucket_name,
        WorkflowId=workflow_id
    )
    print(response)
    return response


def ci_get_workflowexecution():
    # 获取工作流实例详情接口
    response = client.ci_get_workflowexecution(
        Bucket=bucket_name,
        RunId=run_id
    )
    print(response)
    return response


@pytest.fixture
def seed(client, bucket, monkeypatch):
    module = sys.modules[__name__]
    monkeypatch.setattr(module, 'client', client)
    monkeypatch.setattr(module, 'bucket_name', bucket)
    monkeypatch.setattr(module, 'workflow_id', None)
    monkeypatch.setattr(module, 'run_id', None)
    return module


def test_seed_execution_functions_run_unmodified(seed, client, bucket, capsys):
    # The seed triggers `test.mp4`; here it is an abnormal image, and the workflow is Paused.
    case = corpus_case(ABNORMAL[0])
    seed.workflow_id = create_inspect_workflow(client, bucket, name='image-inspect',
                                               prefix='test', state='Paused')
    client.put_object(Bucket=bucket, Key='test.mp4', Body=case.data)
    assert list_executions(client, bucket, seed.workflow_id) == []

    triggered = ci_trigger_workflow()
    assert capsys.readouterr().out.splitlines() == [str(triggered)]
    assert RUN_ID.match(triggered['InstanceId']) and triggered['RequestId']

    # The run is readable at once (spec §4.5), then it finishes.
    seed.run_id = triggered['InstanceId']
    first = ci_get_workflowexecution()
    assert capsys.readouterr().out.splitlines() == [str(first)]
    execution = first['WorkflowExecution'][0]
    assert (execution['RunId'], execution['WorkflowId'], execution['Object']) == (
        seed.run_id, seed.workflow_id, 'test.mp4')
    assert execution['WorkflowName'] == execution['Name'] == 'image-inspect'
    assert execution['BucketId'] == bucket
    assert only_task(execution)['State'] in ('Submitted', 'Running', 'Success')
    wait_for_execution(client, bucket, seed.run_id)

    listed = ci_list_workflowexecution()
    assert capsys.readouterr().out.splitlines() == [str(listed)]
    assert listed['RequestId'] and listed['NextToken'] is None
    item = listed['WorkflowExecutionList']
    assert (item['RunId'], item['WorkflowId'], item['State'], item['Object']) == (
        seed.run_id, seed.workflow_id, 'Success', 'test.mp4')
    assert item['CreateTime'] == execution['CreateTime']

    final = ci_get_workflowexecution()
    assert capsys.readouterr().out.splitlines() == [str(final)]
    check_inspected(bucket, final['WorkflowExecution'][0], 'test.mp4', case, auto_process=True)
    assert read_body(client.get_object(Bucket=bucket, Key=BACKUP_PREFIX + 'test.mp4')) == (
        case.data)


def test_trigger_ignores_state_prefix_and_filter(client, bucket):
    case = corpus_case(CLEAN[0])
    workflow_id = create_inspect_workflow(client, bucket, state='Paused', prefix='test/',
                                          ext_filter={'State': 'On', 'Custom': 'true',
                                                      'CustomExts': 'gif'})
    client.put_object(Bucket=bucket, Key='elsewhere/a.png', Body=case.data)

    run_id = client.ci_trigger_workflow(Bucket=bucket, WorkflowId=workflow_id,
                                        Key='elsewhere/a.png')['InstanceId']

    check_inspected(bucket, wait_for_execution(client, bucket, run_id), 'elsewhere/a.png', case,
                    auto_process=True)


def test_keys_with_spaces_plus_and_unicode(client, anonymous_client, bucket):
    case = corpus_case(ABNORMAL[2])
    key = 'test/a b+c=d&e 图片%.bmp'
    workflow_id = create_inspect_workflow(client, bucket, state='Paused')
    client.put_object(Bucket=bucket, Key=key, Body=case.data)

    run_id = client.ci_trigger_workflow(Bucket=bucket, WorkflowId=workflow_id,
                                        Key=key)['InstanceId']

    check_inspected(bucket, wait_for_execution(client, bucket, run_id), key, case,
                    auto_process=True)
    check_handled(client, anonymous_client, bucket, key, case.data, 'BackupObject')
    assert [e['RunId'] for e in list_executions(client, bucket, workflow_id, Name=key)] == [
        run_id]


def test_trigger_and_get_errors(client, bucket):
    workflow_id = create_inspect_workflow(client, bucket)

    missing = service_error(client.ci_trigger_workflow, Bucket=bucket, WorkflowId=workflow_id,
                            Key='test/missing.png')
    assert (missing.get_status_code(), missing.get_error_code()) == (400, 'ResourceNotFound')
    assert list_executions(client, bucket, workflow_id) == []

    client.put_object(Bucket=bucket, Key='x.png', Body=corpus_case(CLEAN[0]).data)
    unknown = service_error(client.ci_trigger_workflow, Bucket=bucket,
                            WorkflowId='w' + '0' * 32, Key='x.png')
    assert (unknown.get_status_code(), unknown.get_error_code()) == (400, 'InvalidArgument')

    run = service_error(client.ci_get_workflowexecution, Bucket=bucket, RunId='i' + '0' * 32)
    assert 400 <= run.get_status_code() < 500
    assert run.get_error_code() == 'InvalidArgument'


# --- listing executions (§4.7, §9) -------------------------------------------------------------

@pytest.fixture
def six_runs(client, bucket):
    """Six finished executions of one workflow: five uploads (one a text file, Failed) and a
    second, triggered run of the first image."""
    workflow_id = create_inspect_workflow(client, bucket, auto_process=False)
    keys = []
    for index, path in enumerate(CLEAN[:4]):
        key = key_for(index, corpus_case(path))
        client.put_object(Bucket=bucket, Key=key, Body=corpus_case(path).data)
        keys.append(key)
    client.put_object(Bucket=bucket, Key='test/notes.txt', Body=b'text')
    keys.append('test/notes.txt')
    client.ci_trigger_workflow(Bucket=bucket, WorkflowId=workflow_id, Key=keys[0])
    keys.append(keys[0])
    runs = wait_for_executions(client, bucket, workflow_id, 6)
    assert sorted(e['State'] for e in runs) == ['Failed'] + ['Success'] * 5
    return workflow_id, keys, runs


def run_ids(response) -> list:
    return [e['RunId'] for e in as_list(response.get('WorkflowExecutionList'))]


def test_paging_with_next_token_visits_every_run_once(client, bucket, six_runs):
    workflow_id, _, runs = six_runs
    pages, token = [], ''
    for _ in range(10):
        page = client.ci_list_workflowexecution(Bucket=bucket, WorkflowId=workflow_id, Size=2,
                                                NextToken=token)
        pages.append(run_ids(page))
        token = page['NextToken'] or ''
        if not token:
            break
    assert [len(p) for p in pages] == [2, 2, 2]
    assert [r for p in pages for r in p] == [e['RunId'] for e in runs]
    assert len(set(e['RunId'] for e in runs)) == 6


def test_order_by_time(client, bucket, six_runs):
    workflow_id, keys, runs = six_runs
    desc = list_executions(client, bucket, workflow_id, OrderByTime='Desc')
    asc = list_executions(client, bucket, workflow_id, OrderByTime='Asc')
    assert [e['RunId'] for e in asc] == [e['RunId'] for e in reversed(desc)]
    assert desc == runs    # Desc is the default
    times = [e['CreateTime'] for e in asc]
    assert times == sorted(times)
    assert asc[0]['Object'] == keys[0] and asc[-1]['Object'] == keys[0]
    # Pages in ascending order continue from the token in ascending order.
    first = client.ci_list_workflowexecution(Bucket=bucket, WorkflowId=workflow_id, Size=4,
                                             OrderByTime='Asc')
    rest = client.ci_list_workflowexecution(Bucket=bucket, WorkflowId=workflow_id, Size=4,
                                            OrderByTime='Asc', NextToken=first['NextToken'])
    assert run_ids(first) + run_ids(rest) == [e['RunId'] for e in asc]
    assert rest['NextToken'] is None


def test_states_filter(client, bucket, six_runs):
    workflow_id, _, runs = six_runs

    def states(value):
        return [(e['RunId'], e['State'])
                for e in list_executions(client, bucket, workflow_id, States=value)]

    everything = [(e['RunId'], e['State']) for e in runs]
    assert states('All') == everything
    assert states('Success,Failed') == everything
    assert states('Failed') == [x for x in everything if x[1] == 'Failed']
    assert states('Success') == [x for x in everything if x[1] == 'Success']
    assert states('Running') == []
    assert states('Cancel') == []


def test_name_filter_is_the_exact_object_key(client, bucket, six_runs):
    workflow_id, keys, runs = six_runs
    twice = list_executions(client, bucket, workflow_id, Name=keys[0])
    assert [e['RunId'] for e in twice] == [e['RunId'] for e in runs if e['Object'] == keys[0]]
    assert len(twice) == 2
    assert [e['Object'] for e in list_executions(client, bucket, workflow_id,
                                                 Name='test/notes.txt')] == ['test/notes.txt']
    assert list_executions(client, bucket, workflow_id, Name='test/') == []
    assert list_executions(client, bucket, workflow_id, Name=keys[0][:-1]) == []


def test_creation_time_window(client, bucket, six_runs):
    workflow_id, _, runs = six_runs
    all_ids = [e['RunId'] for e in runs]

    def window(start=None, end=None):
        return [e['RunId'] for e in list_executions(client, bucket, workflow_id,
                                                    StartCreationTime=start,
                                                    EndCreationTime=end)]

    now = datetime.now(CHINA)
    before, after = now - timedelta(hours=1), now + timedelta(hours=1)
    # Every spelling of spec §7.1.
    assert window(before.strftime('%Y-%m-%dT%H:%M:%S%z'),
                  after.strftime('%Y-%m-%dT%H:%M:%S%z')) == all_ids
    assert window(before.strftime('%Y-%m-%dT%H:%M:%S+08:00'),
                  after.strftime('%Y-%m-%dT%H:%M:%S+08:00')) == all_ids
    assert window(before.strftime('%Y-%m-%d %H:%M:%S%z'),
                  after.strftime('%Y-%m-%d %H:%M:%S%z')) == all_ids
    utc_before, utc_after = before.astimezone(timezone.utc), after.astimezone(timezone.utc)
    assert window(utc_before.strftime('%Y-%m-%dT%H:%M:%SZ'),
                  utc_after.strftime('%Y-%m-%dT%H:%M:%Sz')) == all_ids
    # The SDK test's format puts the month in the minutes slot; a two-hour margin absorbs it.
    buggy = '%Y-%m-%dT%H:%m:%S%z'
    assert window((now - timedelta(hours=2)).strftime(buggy),
                  (now + timedelta(hours=2)).strftime(buggy)) == all_ids
    # Open on one side.
    assert window(start=before.strftime('%Y-%m-%dT%H:%M:%S%z')) == all_ids
    assert window(end=after.strftime('%Y-%m-%dT%H:%M:%S%z')) == all_ids
    # Windows that hold nothing.
    assert window('2000-01-01T00:00:00+0800', '2000-01-02T00:00:00+0800') == []
    assert window(start=after.strftime('%Y-%m-%dT%H:%M:%S%z')) == []
    assert window(end=before.strftime('%Y-%m-%dT%H:%M:%S%z')) == []


def test_start_creation_time_includes_runs_of_that_second(client, bucket, six_runs):
    workflow_id, _, runs = six_runs
    oldest = runs[-1]
    found = list_executions(client, bucket, workflow_id, StartCreationTime=oldest['CreateTime'])
    assert [e['RunId'] for e in found] == [e['RunId'] for e in runs]


def test_end_creation_time_includes_runs_of_that_second(client, bucket, six_runs):
    """§9: a run is listed when its CreateTime <= endCreationTime. CreateTime is what the API
    shows, in whole seconds, so a run's own CreateTime as the end of the window finds it, as
    it finds every run listed with the same CreateTime."""
    workflow_id, _, runs = six_runs
    newest = runs[0]
    found = list_executions(client, bucket, workflow_id, EndCreationTime=newest['CreateTime'])
    assert [e['RunId'] for e in found] == [e['RunId'] for e in runs]
    found = list_executions(client, bucket, workflow_id, StartCreationTime=newest['CreateTime'],
                            EndCreationTime=newest['CreateTime'])
    assert [e['RunId'] for e in found] == [
        e['RunId'] for e in runs if e['CreateTime'] == newest['CreateTime']]


def test_job_id_size_and_unknown_workflow(client, bucket, six_runs):
    workflow_id, _, runs = six_runs
    all_ids = [e['RunId'] for e in runs]
    # Empty jobId means "not set" (the SDK test sends it so); uploads belong to no batch job.
    assert [e['RunId'] for e in list_executions(client, bucket, workflow_id,
                                                BatchJobId='')] == all_ids
    assert list_executions(client, bucket, workflow_id, BatchJobId='b' + '0' * 32) == []
    # Sizes beyond 100 are clamped, not refused.
    big = client.ci_list_workflowexecution(Bucket=bucket, WorkflowId=workflow_id, Size=500)
    assert run_ids(big) == all_ids and big['NextToken'] is None
    # An unknown workflow is an empty list, not an error (the SDK test relies on it).
    unknown = client.ci_list_workflowexecution(Bucket=bucket, WorkflowId='w' + '0' * 32)
    assert 'WorkflowExecutionList' not in unknown
    assert unknown['RequestId'] and unknown['NextToken'] is None


# --- a restart while runs are pending -------------------------------------------------------------

def test_runs_pending_at_a_restart_finish_exactly_once(server, client, anonymous_client, bucket,
                                                       restart_server):
    workflow_id = create_inspect_workflow(client, bucket)
    cases = [corpus_case(p) for p in ABNORMAL + CLEAN[:3]] * 4
    uploads = {key_for(index, case): case for index, case in enumerate(cases)}

    def upload(item):
        key, case = item
        make_client(server.port).put_object(Bucket=bucket, Key=key, Body=case.data,
                                            ACL='public-read')

    # Four at a time, so that the workers fall behind and runs are still queued at the stop.
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(upload, uploads.items()))

    restart_server()

    executions = by_object(wait_for_executions(client, bucket, workflow_id, len(uploads)))
    assert sorted(executions) == sorted(uploads)
    for key, case in uploads.items():
        assert [e['State'] for e in executions[key]] == ['Success'], key
        check_inspected(bucket, get_execution(client, bucket, executions[key][0]['RunId']),
                        key, case, auto_process=True)
        if case.suspicious:
            check_handled(client, anonymous_client, bucket, key, case.data, 'BackupObject')
        else:
            check_untouched(client, anonymous_client, bucket, key, case.data)
    assert all_keys(client, bucket) == {
        (BACKUP_PREFIX + k) if c.suspicious else k for k, c in uploads.items()}
