"""The CI workflow API (spec workflow-api.md §4.1–4.4, §4.6) driven by the official SDK.

Covers the seed's workflow functions run unmodified, the SDK's own `test_ci_workflow`
sequence, searching and paging, every refused body, and the rules around Active workflows.
"""

import re

import pytest
import seed_workflow
from support import (REGION, as_list, error_code, new_bucket_name, read_body,
                     service_error)

# What the SDK's own tests send with every workflow call (ut/test.py, test_ci_workflow).
SDK_TEST_KWARGS = {"CacheControl": "no-cache", "ResponseCacheControl": "no-cache"}

CI_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0800$")
WORKFLOW_ID = re.compile(r"^w[0-9a-f]{32}$")
MIB = 1024 * 1024


def workflow_body(name="image-inspect", state="Paused", process_type="BackupObject"):
    """The body of the SDK's own `test_ci_workflow`, as a fresh dict to mutate."""
    return {
        'MediaWorkflow': {
            'Name': name,
            'State': state,
            'Topology': {
                'Dependencies': {
                    'Start': 'ImageInspectNode',
                    'ImageInspectNode': 'End',
                },
                'Nodes': {
                    'Start': {
                        'Type': 'Start',
                        'Input': {
                            'ObjectPrefix': 'test',
                            'NotifyConfig': {
                                'Type': 'Url',
                                'Url': 'http://www.callback.com',
                                'Event': 'WorkflowFinish,TaskFinish',
                                'ResultFormat': '',
                            },
                            'ExtFilter': {
                                'State': 'On',
                                'Image': 'true',
                            }
                        }
                    },
                    'ImageInspectNode': {
                        'Type': 'ImageInspect',
                        'Operation': {
                            'ImageInspect': {
                                'AutoProcess': 'true',
                                'ProcessType': process_type,
                            }
                        }
                    },
                },
            },
        },
    }


def create(client, bucket, **body_options) -> str:
    response = client.ci_create_workflow(Bucket=bucket, Body=workflow_body(**body_options),
                                         ContentType='application/xml')
    return response['MediaWorkflow']['WorkflowId']


def count(client, bucket) -> int:
    return int(client.ci_get_workflow(Bucket=bucket)['TotalCount'])


def listed_ids(response):
    return [w['WorkflowId'] for w in response.get('MediaWorkflowList', [])]


# --- the seed, unmodified ---------------------------------------------------------------------

@pytest.fixture
def seed(client, bucket):
    seed_workflow.client = client
    seed_workflow.bucket_name = bucket
    seed_workflow.workflow_id = None
    return seed_workflow


def test_seed_workflow_functions_run_unmodified(seed, bucket, capsys):
    # Create: the seed asks for an Active workflow.
    created = seed.ci_create_workflow_image_inspect()
    workflow = created['MediaWorkflow']
    workflow_id = workflow['WorkflowId']
    assert WORKFLOW_ID.match(workflow_id)
    printed = capsys.readouterr().out.splitlines()
    assert printed == [str(created), "workflowId is: " + workflow_id]
    assert created['RequestId']
    assert (workflow['Name'], workflow['State'], workflow['BucketId']) == (
        'image-inspect', 'Active', bucket)
    assert CI_TIME.match(workflow['CreateTime']) and CI_TIME.match(workflow['UpdateTime'])
    topology = workflow['Topology']
    assert topology['Dependencies'] == {'Start': 'ImageInspectNode', 'ImageInspectNode': 'End'}
    start_input = topology['Nodes']['Start']['Input']
    assert start_input['ObjectPrefix'] == 'test'
    # Empty elements mean "unset": documented defaults are echoed, the rest stays empty.
    assert start_input['NotifyConfig']['ResultFormat'] == 'XML'
    assert start_input['NotifyConfig']['MqRegion'] is None
    assert start_input['ExtFilter']['State'] == 'Off'
    assert start_input['ExtFilter']['CustomExts'] == 'jpg/png'
    inspect = topology['Nodes']['ImageInspectNode']
    assert inspect['Type'] == 'ImageInspect'
    assert inspect['Operation']['ImageInspect'] == {'AutoProcess': 'true',
                                                   'ProcessType': 'BackupObject'}
    seed.workflow_id = workflow_id

    # Update state: the seed pauses, which its update comment requires before an update.
    paused = seed.ci_update_workflow_state()
    assert capsys.readouterr().out.splitlines() == [str(paused)]
    assert paused['MediaWorkflow']['WorkflowId'] == workflow_id
    assert paused['MediaWorkflow']['State'] == 'Paused'

    # Update: the seed's body re-enables the workflow.
    updated = seed.ci_update_workflow()
    assert capsys.readouterr().out.splitlines() == [str(updated),
                                                    "workflowId is: " + workflow_id]
    assert updated['MediaWorkflow']['State'] == 'Active'
    assert updated['MediaWorkflow']['CreateTime'] == workflow['CreateTime']

    # Get, by id and name.
    found = seed.ci_get_workflow()
    assert capsys.readouterr().out.splitlines() == [str(found)]
    assert listed_ids(found) == [workflow_id]
    assert found['TotalCount'] == '1'
    assert found['MediaWorkflowList'][0]['Topology'] == updated['MediaWorkflow']['Topology']
    assert 'NonExistIDs' not in found

    # Delete: an Active workflow must be paused first, with the seed's own function.
    seed.ci_update_workflow_state()
    capsys.readouterr()
    deleted = seed.ci_delete_workflow()
    assert capsys.readouterr().out.splitlines() == [str(deleted)]
    assert deleted['WorkflowId'] == workflow_id
    assert deleted['RequestId']
    assert count(seed.client, bucket) == 0


# --- the SDK's own test_ci_workflow sequence ---------------------------------------------------

def test_sdk_test_sequence_create_update_activate_get_pause_delete(client, bucket):
    response = client.ci_create_workflow(Bucket=bucket, Body=workflow_body(),
                                         ContentType='application/xml', **SDK_TEST_KWARGS)
    assert response['MediaWorkflow']['WorkflowId'] is not None
    workflow_id = response['MediaWorkflow']['WorkflowId']
    assert response['MediaWorkflow']['State'] == 'Paused'

    response = client.ci_update_workflow(
        Bucket=bucket, WorkflowId=workflow_id,
        Body=workflow_body(process_type='SwitchObjectToPrivate'),
        ContentType='application/xml', **SDK_TEST_KWARGS)
    assert response['MediaWorkflow']['WorkflowId'] == workflow_id
    assert (response['MediaWorkflow']['Topology']['Nodes']['ImageInspectNode']['Operation']
            ['ImageInspect']['ProcessType'] == 'SwitchObjectToPrivate')

    response = client.ci_update_workflow_state(Bucket=bucket, WorkflowId=workflow_id,
                                               UpdateState='active',
                                               ContentType='application/xml', **SDK_TEST_KWARGS)
    assert response['MediaWorkflow']['State'] == 'Active'

    response = client.ci_get_workflow(Bucket=bucket, Ids=workflow_id, Name='image-inspect',
                                      ContentType='application/xml', **SDK_TEST_KWARGS)
    assert response['MediaWorkflowList'][0]['WorkflowId'] == workflow_id
    assert response['MediaWorkflowList'][0]['State'] == 'Active'

    response = client.ci_update_workflow_state(Bucket=bucket, WorkflowId=workflow_id,
                                               UpdateState='paused',
                                               ContentType='application/xml', **SDK_TEST_KWARGS)
    assert response['MediaWorkflow']['State'] == 'Paused'
    assert (response['MediaWorkflow']['Topology']['Nodes']['ImageInspectNode']['Operation']
            ['ImageInspect']['ProcessType'] == 'SwitchObjectToPrivate')

    response = client.ci_delete_workflow(Bucket=bucket, WorkflowId=workflow_id,
                                         **SDK_TEST_KWARGS)
    assert response['WorkflowId'] == workflow_id


def test_create_without_content_type(client, bucket):
    response = client.ci_create_workflow(Bucket=bucket, Body=workflow_body())
    assert WORKFLOW_ID.match(response['MediaWorkflow']['WorkflowId'])


def test_state_change_accepts_bare_flags_and_is_idempotent(client, raw, bucket):
    workflow_id = create(client, bucket)
    prepared = raw.prepare('PUT', bucket, f'workflow/{workflow_id}', params={'active': ''})
    prepared.url = prepared.url.replace('?active=', '?active')
    assert prepared.url.endswith('?active')
    response = raw.send(prepared)
    assert response.status_code == 200, response.text
    assert '<State>Active</State>' in response.text
    assert response.headers['x-ci-request-id'] in response.text

    again = client.ci_update_workflow_state(Bucket=bucket, WorkflowId=workflow_id,
                                            UpdateState='active')
    assert again['MediaWorkflow']['State'] == 'Active'
    listed = client.ci_get_workflow(Bucket=bucket, Ids=workflow_id)['MediaWorkflowList'][0]
    assert listed['UpdateTime'] == again['MediaWorkflow']['UpdateTime']


def test_both_state_flags_are_refused(client, raw, bucket):
    workflow_id = create(client, bucket)
    response = raw.request('PUT', bucket, f'workflow/{workflow_id}',
                           params={'active': '', 'paused': ''})
    assert (response.status_code, error_code(response)) == (400, 'InvalidArgument')
    listed = client.ci_get_workflow(Bucket=bucket, Ids=workflow_id)['MediaWorkflowList'][0]
    assert listed['State'] == 'Paused'


def test_ci_host_is_served_too(client, raw, bucket):
    workflow_id = create(client, bucket)
    ci_host = f"{bucket}.ci.{REGION}.myqcloud.com"
    response = raw.request('GET', bucket, 'workflow', headers={'Host': ci_host})
    assert response.status_code == 200, response.text
    assert workflow_id in response.text
    assert response.headers['Content-Type'] == 'application/xml'


# --- get: paging, ids, name ----------------------------------------------------------------------

def test_paging_walks_every_workflow_once_newest_first(client, bucket):
    created = [create(client, bucket, name=f'page-{i}') for i in range(5)]

    pages = []
    for number in (1, 2, 3):
        response = client.ci_get_workflow(Bucket=bucket, PageNumber=number, PageSize=2)
        assert response['TotalCount'] == '5'
        assert (response['PageNumber'], response['PageSize']) == (str(number), '2')
        pages.append(listed_ids(response))
    assert [len(p) for p in pages] == [2, 2, 1]
    walked = [i for page in pages for i in page]
    assert sorted(walked) == sorted(created)
    assert walked == list(reversed(created))

    beyond = client.ci_get_workflow(Bucket=bucket, PageNumber=4, PageSize=2)
    assert beyond['TotalCount'] == '5'
    assert 'MediaWorkflowList' not in beyond


def test_paging_defaults_and_limits(client, bucket):
    create(client, bucket)
    defaults = client.ci_get_workflow(Bucket=bucket)
    assert (defaults['PageNumber'], defaults['PageSize']) == ('1', '10')
    clamped = client.ci_get_workflow(Bucket=bucket, PageSize=1000)
    assert clamped['PageSize'] == '100'
    for options, parameter in (({'PageNumber': 0}, 'pageNumber'),
                               ({'PageNumber': 'x'}, 'pageNumber'),
                               ({'PageSize': -1}, 'pageSize')):
        error = service_error(client.ci_get_workflow, Bucket=bucket, **options)
        assert (error.get_status_code(), error.get_error_code()) == (400, 'InvalidArgument')
        assert parameter in error.get_error_msg()


def test_non_exist_ids(client, bucket, other_bucket):
    mine = create(client, bucket)
    theirs = create(client, other_bucket)
    missing = 'w' + '0' * 32

    one = client.ci_get_workflow(Bucket=bucket, Ids=f'{mine},{missing}')
    assert listed_ids(one) == [mine]
    assert one['TotalCount'] == '1'
    assert one['NonExistIDs'] == missing

    several = client.ci_get_workflow(Bucket=bucket, Ids=f'{missing},{theirs},{mine}')
    assert listed_ids(several) == [mine]
    assert several['NonExistIDs'] == [missing, theirs]

    none = client.ci_get_workflow(Bucket=bucket, Ids=missing)
    assert none['TotalCount'] == '0'
    assert 'MediaWorkflowList' not in none


def test_name_filter_is_exact_and_combines_with_ids(client, bucket):
    alpha = create(client, bucket, name='alpha')
    beta = create(client, bucket, name='beta')
    create(client, bucket, name='alpha-2')

    by_name = client.ci_get_workflow(Bucket=bucket, Name='alpha')
    assert listed_ids(by_name) == [alpha]
    assert by_name['TotalCount'] == '1'

    both = client.ci_get_workflow(Bucket=bucket, Ids=f'{alpha},{beta}', Name='beta')
    assert listed_ids(both) == [beta]
    # alpha exists, so it is filtered by name rather than reported missing.
    assert 'NonExistIDs' not in both


# --- refused bodies ------------------------------------------------------------------------------

def nodes(body):
    return body['MediaWorkflow']['Topology']['Nodes']


def dependencies(body):
    return body['MediaWorkflow']['Topology']['Dependencies']


def start_input(body):
    return nodes(body)['Start']['Input']


def inspect_options(body):
    return nodes(body)['ImageInspectNode']['Operation']['ImageInspect']


def set_name(value):
    return lambda b: b['MediaWorkflow'].__setitem__('Name', value)


def second_start(body):
    nodes(body)['Start2'] = {'Type': 'Start', 'Input': {'ObjectPrefix': 'x'}}
    dependencies(body)['Start2'] = 'End'


def no_object_prefix(body):
    start_input(body)['ObjectPrefix'] = ''
    start_input(body)['QueueId'] = 'p' + '1' * 32


def unreachable(body):
    nodes(body)['Orphan'] = {'Type': 'ImageInspect'}
    dependencies(body)['Orphan'] = 'End'


def cycle(body):
    nodes(body)['Second'] = {'Type': 'ImageInspect'}
    dependencies(body)['ImageInspectNode'] = 'Second'
    dependencies(body)['Second'] = 'ImageInspectNode'


def no_end(body):
    del dependencies(body)['ImageInspectNode']


def node_type(value):
    return lambda b: nodes(b)['ImageInspectNode'].__setitem__('Type', value)


def notify(field, value):
    return lambda b: start_input(b)['NotifyConfig'].__setitem__(field, value)


def ext_filter(**fields):
    return lambda b: start_input(b)['ExtFilter'].update(fields)


INVALID_BODIES = [
    ('name-chars', set_name('bad name!'), 'Name'),
    ('name-too-long', set_name('n' * 129), 'Name'),
    ('name-missing', set_name(''), 'Name'),
    ('state', lambda b: b['MediaWorkflow'].__setitem__('State', 'Running'), 'State'),
    ('two-starts', second_start, 'Start2'),
    ('object-prefix', no_object_prefix, 'ObjectPrefix'),
    ('undefined-dependency', lambda b: dependencies(b).__setitem__('Ghost', 'End'), 'Ghost'),
    ('undefined-successor',
     lambda b: dependencies(b).__setitem__('Start', 'ImageInspectNode,Ghost'), 'Ghost'),
    ('unreachable', unreachable, 'Orphan'),
    ('cycle', cycle, 'cycle'),
    ('no-end', no_end, 'Topology.Dependencies.ImageInspectNode'),
    ('unknown-type', node_type('Teleport'), 'Teleport'),
    ('unsupported-type', node_type('Transcode'), 'ImageInspect'),
    ('auto-process', lambda b: inspect_options(b).__setitem__('AutoProcess', 'yes'),
     'AutoProcess'),
    ('process-type', lambda b: inspect_options(b).__setitem__('ProcessType', 'Shred'),
     'ProcessType'),
    ('notify-tdmq', notify('Type', 'TDMQ'), 'NotifyConfig.Type'),
    ('notify-kafka', notify('Type', 'Kafka'), 'NotifyConfig.Type'),
    ('notify-url', notify('Url', 'ftp://example.com/x'), 'NotifyConfig.Url'),
    ('notify-event', notify('Event', 'WorkflowFinish,Whenever'), 'NotifyConfig.Event'),
    ('custom-exts', ext_filter(Custom='true', CustomExts='/'.join('abcdefghijk')),
     'CustomExts'),
    ('custom-without-exts', ext_filter(Custom='true', CustomExts=''), 'CustomExts'),
    ('no-media-workflow', lambda b: b.clear(), 'MediaWorkflow'),
]


@pytest.mark.parametrize('mutate, element', [c[1:] for c in INVALID_BODIES],
                         ids=[c[0] for c in INVALID_BODIES])
def test_invalid_bodies_are_refused_and_store_nothing(client, bucket, mutate, element):
    existing = create(client, bucket, name='keep')
    before = without_request_id(client.ci_get_workflow(Bucket=bucket))
    body = workflow_body(name='refused')
    mutate(body)

    error = service_error(client.ci_create_workflow, Bucket=bucket, Body=body,
                          ContentType='application/xml')
    assert (error.get_status_code(), error.get_error_code()) == (400, 'InvalidArgument')
    assert element in error.get_error_msg()
    assert error.get_request_id()

    error = service_error(client.ci_update_workflow, Bucket=bucket, WorkflowId=existing,
                          Body=body, ContentType='application/xml')
    assert (error.get_status_code(), error.get_error_code()) == (400, 'InvalidArgument')
    assert element in error.get_error_msg()
    # Neither a new workflow nor a change to the existing one.
    assert without_request_id(client.ci_get_workflow(Bucket=bucket)) == before


def without_request_id(response):
    return {k: v for k, v in response.items() if k != 'RequestId'}


def test_unsupported_type_lists_the_supported_ones(client, bucket):
    body = workflow_body()
    node_type('Transcode')(body)
    error = service_error(client.ci_create_workflow, Bucket=bucket, Body=body)
    message = error.get_error_msg()
    assert 'Transcode' in message and 'supported types: Start, End, ImageInspect' in message
    assert 'Topology.Nodes.ImageInspectNode.Type' in message


def deep_body(levels):
    return (b'<Request><MediaWorkflow>' + b'<N>' * levels + b'x' + b'</N>' * levels
            + b'</MediaWorkflow></Request>')


RAW_BODIES = [
    ('malformed', b'<Request><MediaWorkflow><Name>x</Request>', 'InvalidContent', 'malformed'),
    ('not-xml', b'{"MediaWorkflow": {}}', 'InvalidContent', 'malformed'),
    ('empty', b'', 'MissingContent', 'empty'),
    ('blank', b'  \n ', 'MissingContent', 'empty'),
    ('oversized', b'<Request>' + b' ' * MIB + b'</Request>', 'InvalidContent', 'larger'),
    ('far-oversized', b'<Request>' + b'x' * (6 * MIB) + b'</Request>', 'InvalidContent',
     'larger'),
    ('over-deep', deep_body(40), 'InvalidContent', 'deep'),
    ('doctype', b'<?xml version="1.0"?><!DOCTYPE Request [<!ENTITY n "image">]>'
     b'<Request><MediaWorkflow><Name>&n;</Name></MediaWorkflow></Request>', 'InvalidContent',
     'DOCTYPE'),
    ('entity', b'<Request><MediaWorkflow><Name>&n;</Name></MediaWorkflow></Request>',
     'InvalidContent', 'entity'),
    ('not-utf8', '<Request><MediaWorkflow><Name>é</Name></MediaWorkflow></Request>'
     .encode('latin-1'), 'InvalidContent', 'UTF-8'),
    ('wrong-root', b'<Workflow><MediaWorkflow/></Workflow>', 'InvalidArgument', 'Request'),
]


@pytest.mark.parametrize('data, code, fragment', [c[1:] for c in RAW_BODIES],
                         ids=[c[0] for c in RAW_BODIES])
def test_bad_raw_bodies_are_refused_and_store_nothing(client, raw, bucket, data, code,
                                                      fragment):
    existing = create(client, bucket)
    for method, key in (('POST', 'workflow'), ('PUT', f'workflow/{existing}')):
        response = raw.request(method, bucket, key, data=data,
                               headers={'Content-Type': 'application/xml'})
        assert response.status_code == 400, response.text
        assert error_code(response) == code
        assert fragment.lower() in response.text.lower()
        assert response.headers['x-ci-trace-id']
    assert count(client, bucket) == 1
    stored = client.ci_get_workflow(Bucket=bucket, Ids=existing)['MediaWorkflowList'][0]
    assert stored['Name'] == 'image-inspect'


# --- Active workflows, unknown ids, buckets ---------------------------------------------------

def test_active_workflow_cannot_be_updated_or_deleted(client, bucket):
    workflow_id = create(client, bucket, state='Active')
    for call, extra in ((client.ci_update_workflow, {'Body': workflow_body(name='changed')}),
                        (client.ci_delete_workflow, {})):
        error = service_error(call, Bucket=bucket, WorkflowId=workflow_id, **extra)
        assert error.get_status_code() == 403
        assert error.get_error_code() == 'ActiveWorkflowForbiddenUpdate'
    listed = client.ci_get_workflow(Bucket=bucket)
    assert listed_ids(listed) == [workflow_id]
    assert listed['MediaWorkflowList'][0]['Name'] == 'image-inspect'

    client.ci_update_workflow_state(Bucket=bucket, WorkflowId=workflow_id, UpdateState='paused')
    client.ci_update_workflow(Bucket=bucket, WorkflowId=workflow_id,
                              Body=workflow_body(name='changed'))
    assert client.ci_delete_workflow(Bucket=bucket, WorkflowId=workflow_id)['WorkflowId'] == \
        workflow_id


def test_unknown_workflow_id_is_invalid_argument(client, bucket, other_bucket):
    elsewhere = create(client, other_bucket)
    for workflow_id in ('w' + 'f' * 32, elsewhere):
        calls = [
            (client.ci_update_workflow, {'Body': workflow_body()}),
            (client.ci_update_workflow_state, {'UpdateState': 'active'}),
            (client.ci_delete_workflow, {}),
        ]
        for call, extra in calls:
            error = service_error(call, Bucket=bucket, WorkflowId=workflow_id, **extra)
            assert error.get_status_code() == 400
            assert error.get_error_code() == 'InvalidArgument'
            assert workflow_id in error.get_error_msg()
    # The other bucket's workflow was not touched.
    theirs = client.ci_get_workflow(Bucket=other_bucket, Ids=elsewhere)['MediaWorkflowList']
    assert theirs[0]['State'] == 'Paused'


def test_missing_bucket(client):
    bucket = new_bucket_name()
    for call, extra in ((client.ci_create_workflow, {'Body': workflow_body()}),
                        (client.ci_get_workflow, {})):
        error = service_error(call, Bucket=bucket, **extra)
        assert (error.get_status_code(), error.get_error_code()) == (404, 'NoSuchBucket')


def test_objects_named_like_workflow_paths_stay_objects(client, bucket):
    for key in ('workflow', 'workflow/abc', 'workflowexecution', 'workflow/w' + '0' * 8):
        client.put_object(Bucket=bucket, Key=key, Body=key.encode())
        assert read_body(client.get_object(Bucket=bucket, Key=key)) == key.encode()
        assert client.head_object(Bucket=bucket, Key=key)['Content-Length'] == str(len(key))
    listed = client.list_objects(Bucket=bucket, Prefix='workflow')
    assert len(as_list(listed.get('Contents'))) == 4
    assert count(client, bucket) == 0
    client.delete_object(Bucket=bucket, Key='workflow/abc')
    assert client.object_exists(Bucket=bucket, Key='workflow/abc') is False


def test_bucket_with_workflows_cannot_be_deleted(client, bucket):
    workflow_id = create(client, bucket)
    error = service_error(client.delete_bucket, Bucket=bucket)
    assert (error.get_status_code(), error.get_error_code()) == (409, 'BucketNotEmpty')
    assert count(client, bucket) == 1

    client.ci_delete_workflow(Bucket=bucket, WorkflowId=workflow_id)
    client.delete_bucket(Bucket=bucket)
    assert client.bucket_exists(Bucket=bucket) is False


def test_workflows_survive_a_restart(client, bucket, restart_server):
    workflow_id = create(client, bucket, state='Active')
    before = client.ci_get_workflow(Bucket=bucket, Ids=workflow_id)['MediaWorkflowList'][0]

    restart_server()

    after = client.ci_get_workflow(Bucket=bucket, Ids=workflow_id)['MediaWorkflowList'][0]
    assert after == before
    paused = client.ci_update_workflow_state(Bucket=bucket, WorkflowId=workflow_id,
                                             UpdateState='paused')
    assert paused['MediaWorkflow']['Topology'] == before['Topology']
    assert client.ci_delete_workflow(Bucket=bucket, WorkflowId=workflow_id)['WorkflowId'] == \
        workflow_id


def test_update_keeps_id_and_create_time_and_replaces_everything_else(client, bucket):
    workflow_id = create(client, bucket)
    created = client.ci_get_workflow(Bucket=bucket)['MediaWorkflowList'][0]
    body = workflow_body(name='renamed', state='Active')
    del start_input(body)['NotifyConfig']
    updated = client.ci_update_workflow(Bucket=bucket, WorkflowId=workflow_id, Body=body)
    workflow = updated['MediaWorkflow']
    assert (workflow['WorkflowId'], workflow['CreateTime']) == (workflow_id,
                                                                created['CreateTime'])
    assert (workflow['Name'], workflow['State']) == ('renamed', 'Active')
    assert 'NotifyConfig' not in workflow['Topology']['Nodes']['Start']['Input']
    assert listed_ids(client.ci_get_workflow(Bucket=bucket, Name='renamed')) == [workflow_id]
    assert 'MediaWorkflowList' not in client.ci_get_workflow(Bucket=bucket,
                                                             Name='image-inspect')


def test_error_documents_carry_what_the_sdk_digests(client, bucket):
    error = service_error(client.ci_delete_workflow, Bucket=bucket, WorkflowId='w' + 'a' * 32)
    assert error.get_error_code() == 'InvalidArgument'
    assert error.get_resource_location().endswith('/workflow/w' + 'a' * 32)
    assert error.get_request_id()
    assert error.get_trace_id()


def test_sdk_never_sees_an_unparseable_answer(client, bucket):
    """Every workflow answer has a body with a <Response> root (spec §1.6)."""
    workflow_id = create(client, bucket)
    for response in (
            client.ci_update_workflow_state(Bucket=bucket, WorkflowId=workflow_id,
                                            UpdateState='paused'),
            client.ci_get_workflow(Bucket=bucket, Ids='w' + '1' * 32),
            client.ci_delete_workflow(Bucket=bucket, WorkflowId=workflow_id)):
        assert isinstance(response, dict) and response['RequestId']


def test_ci_answers_name_the_ci_service_and_cos_answers_the_cos_one(raw, bucket):
    listed = raw.request("GET", bucket, "workflow", params={"ids": "", "name": "", "pageNumber": "",
                                                            "pageSize": ""})
    assert listed.status_code == 200
    assert listed.headers["Server"] == "tencent-ci"
    assert listed.headers["x-ci-request-id"]
    listed_objects = raw.request("GET", bucket)
    assert listed_objects.status_code == 200
    assert listed_objects.headers["Server"] == "tencent-cos"
