mod common;

use bucketflow_engine::workflow::{
    WorkflowMeta, WorkflowState, render_media_workflow, render_topology,
};
use bucketflow_xml::{Element, Limits};
use common::{SEED_BODY, body, inspect, parse, seed_with};

fn meta() -> WorkflowMeta {
    WorkflowMeta {
        id: "w3f2a9c4e8b7d41a6902c5e1f7b3d8a64".to_owned(),
        bucket: "examplebucket-1250000000".to_owned(),
        state: WorkflowState::Paused,
        create_time: 1_702_470_578,
        update_time: 1_702_470_662,
    }
}

/// Follows a path of child names.
fn at<'a>(root: &'a Element, path: &[&str]) -> &'a Element {
    path.iter().fold(root, |e, name| {
        e.get(name)
            .unwrap_or_else(|| panic!("no {name} in {}", e.name))
    })
}

#[test]
fn renders_the_seed_workflow_with_its_metadata() {
    let wf = parse(SEED_BODY).unwrap();
    let rendered = render_media_workflow(&wf, &meta());
    assert_eq!(rendered.name, "MediaWorkflow");
    let names: Vec<&str> = rendered.children.iter().map(|c| c.name.as_str()).collect();
    let expected = [
        "Name",
        "State",
        "WorkflowId",
        "BucketId",
        "CreateTime",
        "UpdateTime",
        "Topology",
    ];
    assert_eq!(names, expected);
    assert_eq!(rendered.text_of("Name"), Some("image-inspect"));
    assert_eq!(
        rendered.text_of("State"),
        Some("Paused"),
        "the stored state wins"
    );
    assert_eq!(
        rendered.text_of("WorkflowId"),
        Some("w3f2a9c4e8b7d41a6902c5e1f7b3d8a64")
    );
    assert_eq!(
        rendered.text_of("BucketId"),
        Some("examplebucket-1250000000")
    );
    assert_eq!(
        rendered.text_of("CreateTime"),
        Some("2023-12-13T20:29:38+0800")
    );
    assert_eq!(
        rendered.text_of("UpdateTime"),
        Some("2023-12-13T20:31:02+0800")
    );
}

#[test]
fn echoes_the_topology_with_node_names_verbatim() {
    let wf = parse(SEED_BODY).unwrap();
    let rendered = render_media_workflow(&wf, &meta());
    let deps = at(&rendered, &["Topology", "Dependencies"]);
    assert_eq!(deps.text_of("Start"), Some("ImageInspectNode"));
    assert_eq!(deps.text_of("ImageInspectNode"), Some("End"));
    let inspect = at(
        &rendered,
        &[
            "Topology",
            "Nodes",
            "ImageInspectNode",
            "Operation",
            "ImageInspect",
        ],
    );
    assert_eq!(inspect.text_of("AutoProcess"), Some("true"));
    assert_eq!(inspect.text_of("ProcessType"), Some("BackupObject"));
    let notify = at(
        &rendered,
        &["Topology", "Nodes", "Start", "Input", "NotifyConfig"],
    );
    assert_eq!(notify.text_of("Url"), Some("http://www.callback.com"));
    assert_eq!(notify.text_of("Event"), Some("WorkflowFinish,TaskFinish"));
}

#[test]
fn fills_documented_defaults_and_echoes_empty_elements() {
    let wf = parse(SEED_BODY).unwrap();
    let topology = render_topology(&wf);
    let notify = at(&topology, &["Nodes", "Start", "Input", "NotifyConfig"]);
    assert_eq!(notify.text_of("ResultFormat"), Some("XML"));
    assert!(
        notify.get("MqRegion").is_some(),
        "empty elements are echoed"
    );
    assert_eq!(notify.text_of("MqRegion"), None);
    let filter = at(&topology, &["Nodes", "Start", "Input", "ExtFilter"]);
    assert_eq!(filter.text_of("State"), Some("Off"));
    for flag in [
        "Video",
        "Audio",
        "Image",
        "ContentType",
        "Custom",
        "AllFile",
    ] {
        assert_eq!(filter.text_of(flag), Some("false"), "{flag}");
    }
    assert_eq!(filter.text_of("CustomExts"), Some("jpg/png"));
}

#[test]
fn fills_image_inspect_defaults_when_operation_is_absent() {
    let wf = parse(&body("<Start>A</Start><A>End</A>", &inspect("A"))).unwrap();
    let topology = render_topology(&wf);
    let options = at(&topology, &["Nodes", "A", "Operation", "ImageInspect"]);
    assert_eq!(options.text_of("AutoProcess"), Some("false"));
    assert_eq!(options.text_of("ProcessType"), Some("BackupObject"));
    let start_input = at(&topology, &["Nodes", "Start", "Input"]);
    assert!(
        start_input.get("NotifyConfig").is_none(),
        "absent containers stay absent"
    );
    assert!(start_input.get("ExtFilter").is_none());
}

#[test]
fn echoes_the_process_type_sent_by_an_update() {
    // The SDK's update test reads back ProcessType == SwitchObjectToPrivate.
    let wf = parse(&seed_with("BackupObject", "SwitchObjectToPrivate")).unwrap();
    let topology = render_topology(&wf);
    let options = at(
        &topology,
        &["Nodes", "ImageInspectNode", "Operation", "ImageInspect"],
    );
    assert_eq!(
        options.text_of("ProcessType"),
        Some("SwitchObjectToPrivate")
    );
}

#[test]
fn the_response_document_parses_the_way_the_sdk_reads_it() {
    let wf = parse(SEED_BODY).unwrap();
    let response = Element::new("Response")
        .child(Element::with_text(
            "RequestId",
            "NjU3OWEzYjJfMmYwYjFjNjRfMWEyYl8z",
        ))
        .child(render_media_workflow(&wf, &meta()));
    let document = response.to_document();
    assert!(document.starts_with("<?xml version='1.0' encoding='utf-8' ?>\n<Response>"));
    let read = bucketflow_xml::parse(document.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(read, response);
    let path = [
        "MediaWorkflow",
        "Topology",
        "Nodes",
        "ImageInspectNode",
        "Operation",
    ];
    assert_eq!(
        at(&read, &path)
            .get("ImageInspect")
            .unwrap()
            .text_of("AutoProcess"),
        Some("true")
    );
}

#[test]
fn rendering_is_stable_across_the_stored_form() {
    let wf = parse(SEED_BODY).unwrap();
    let reloaded = bucketflow_engine::workflow::Workflow::from_stored(&wf.to_stored()).unwrap();
    assert_eq!(
        render_media_workflow(&reloaded, &meta()),
        render_media_workflow(&wf, &meta())
    );
    let active = WorkflowMeta {
        state: WorkflowState::Active,
        ..meta()
    };
    assert_eq!(
        render_media_workflow(&wf, &active).text_of("State"),
        Some("Active")
    );
}
