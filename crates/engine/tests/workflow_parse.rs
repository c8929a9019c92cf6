mod common;

use bucketflow_engine::workflow::{
    NodeType, NotifyEvent, NotifyType, ProcessType, ResultFormat, Workflow, WorkflowError,
    WorkflowState,
};
use bucketflow_xml::XmlError;
use common::{SEED_BODY, body, inspect, parse, seed_with};

#[test]
fn the_seed_body_parses() {
    let wf = parse(SEED_BODY).unwrap();
    assert_eq!(wf.name(), "image-inspect");
    assert_eq!(wf.state(), WorkflowState::Active);
    let names: Vec<&str> = wf.nodes().iter().map(|n| n.name()).collect();
    assert_eq!(names, ["Start", "ImageInspectNode"]);
    assert_eq!(wf.start_node().node_type(), NodeType::Start);
    assert_eq!(wf.successors("Start"), ["ImageInspectNode"]);
    assert_eq!(wf.successors("ImageInspectNode"), ["End"]);
    assert_eq!(wf.input().object_prefix, "test");
}

#[test]
fn the_seed_body_reads_its_options_with_defaults() {
    let wf = parse(SEED_BODY).unwrap();
    let notify = wf.notify_config().unwrap();
    assert_eq!(notify.notify_type, NotifyType::Url);
    assert_eq!(notify.url, "http://www.callback.com");
    assert_eq!(
        notify.events,
        [NotifyEvent::WorkflowFinish, NotifyEvent::TaskFinish]
    );
    assert!(notify.wants(NotifyEvent::TaskFinish));
    assert_eq!(
        notify.result_format,
        ResultFormat::Xml,
        "empty ResultFormat means XML"
    );
    let filter = wf.input().ext_filter.as_ref().unwrap();
    assert!(!filter.enabled, "empty State means Off");
    assert!(!filter.custom);
    assert_eq!(filter.custom_exts, ["jpg", "png"]);
    let options = wf.image_inspect("ImageInspectNode").unwrap();
    assert!(options.auto_process);
    assert_eq!(options.process_type, ProcessType::BackupObject);
    assert_eq!(wf.image_inspect("Start"), None);
}

#[test]
fn pretty_printed_input_parses_like_compact_input() {
    let pretty = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request>\n  <MediaWorkflow>\n\
        \x20   <Name>image-inspect</Name>\n    <State>Active</State>\n    <Topology>\n\
        \x20     <Dependencies>\n        <Start>ImageInspectNode</Start>\n\
        \x20       <ImageInspectNode>End</ImageInspectNode>\n      </Dependencies>\n\
        \x20     <Nodes>\n        <Start>\n          <Type>Start</Type>\n          <Input>\n\
        \x20           <ObjectPrefix>test</ObjectPrefix>\n            <NotifyConfig>\n\
        \x20             <Type>Url</Type>\n              <Url>http://www.callback.com</Url>\n\
        \x20             <Event>WorkflowFinish,TaskFinish</Event>\n\
        \x20             <ResultFormat/>\n              <MqRegion/>\n              <MqMode/>\n\
        \x20             <MqName/>\n            </NotifyConfig>\n            <ExtFilter>\n\
        \x20             <State/>\n              <Video/>\n              <Audio/>\n\
        \x20             <Image/>\n              <ContentType/>\n              <Custom/>\n\
        \x20             <CustomExts>jpg/png</CustomExts>\n              <AllFile/>\n\
        \x20           </ExtFilter>\n          </Input>\n        </Start>\n\
        \x20       <ImageInspectNode>\n          <Type>ImageInspect</Type>\n\
        \x20         <Operation>\n            <ImageInspect>\n\
        \x20             <AutoProcess>true</AutoProcess>\n\
        \x20             <ProcessType>BackupObject</ProcessType>\n            </ImageInspect>\n\
        \x20         </Operation>\n        </ImageInspectNode>\n      </Nodes>\n\
        \x20   </Topology>\n  </MediaWorkflow>\n</Request>\n";
    assert_eq!(parse(pretty).unwrap(), parse(SEED_BODY).unwrap());
}

#[test]
fn values_are_trimmed() {
    let body = seed_with(
        "<Name>image-inspect</Name>",
        "<Name>\n  image-inspect \n</Name>",
    )
    .replace(
        "<Start>ImageInspectNode</Start>",
        "<Start> ImageInspectNode , </Start>",
    );
    // A trailing comma leaves an empty successor, which is refused...
    assert!(parse(&body).is_err());
    // ...but spaces around names are not.
    let body = body.replace(" ImageInspectNode , ", " ImageInspectNode ");
    let wf = parse(&body).unwrap();
    assert_eq!(wf.name(), "image-inspect");
    assert_eq!(wf.successors("Start"), ["ImageInspectNode"]);
}

#[test]
fn empty_state_means_paused() {
    let wf = parse(&seed_with("<State>Active</State>", "<State></State>")).unwrap();
    assert_eq!(wf.state(), WorkflowState::Paused);
    let wf = parse(&seed_with("<State>Active</State>", "")).unwrap();
    assert_eq!(wf.state(), WorkflowState::Paused);
}

#[test]
fn operation_and_image_inspect_options_are_optional() {
    let wf = parse(&body("<Start>A</Start><A>End</A>", &inspect("A"))).unwrap();
    let options = wf.image_inspect("A").unwrap();
    assert!(!options.auto_process);
    assert_eq!(options.process_type, ProcessType::BackupObject);
    assert_eq!(wf.notify_config(), None);
    assert_eq!(wf.input().ext_filter, None);
}

#[test]
fn the_other_process_types_are_read() {
    for (name, expected) in [
        ("SwitchObjectToPrivate", ProcessType::SwitchObjectToPrivate),
        ("DeleteObject", ProcessType::DeleteObject),
    ] {
        let body = seed_with("BackupObject", name);
        let wf = parse(&body).unwrap();
        assert_eq!(
            wf.image_inspect("ImageInspectNode").unwrap().process_type,
            expected
        );
    }
}

#[test]
fn notify_config_made_of_empty_elements_is_unset() {
    let body = seed_with(
        "<Type>Url</Type><Url>http://www.callback.com</Url>",
        "<Type></Type>",
    )
    .replace("<Event>WorkflowFinish,TaskFinish</Event>", "");
    let wf = parse(&body).unwrap();
    assert_eq!(wf.notify_config(), None);
}

#[test]
fn notify_config_switched_off_is_kept_but_not_active() {
    let body = seed_with("<MqRegion>", "<State>Off</State><MqRegion>");
    let wf = parse(&body).unwrap();
    assert_eq!(wf.notify_config(), None);
    assert!(!wf.input().notify_config.as_ref().unwrap().enabled);
}

#[test]
fn json_result_format_and_https_urls_are_accepted() {
    let body = seed_with(
        "<ResultFormat></ResultFormat>",
        "<ResultFormat>JSON</ResultFormat>",
    )
    .replace(
        "http://www.callback.com",
        "HTTPS://user@cb.example:8443/ci?x=1",
    );
    let notify = parse(&body).unwrap().notify_config().cloned().unwrap();
    assert_eq!(notify.result_format, ResultFormat::Json);
    assert_eq!(notify.result_format.content_type(), "application/json");
}

#[test]
fn unknown_elements_are_kept_verbatim() {
    let body = seed_with(
        "<AutoProcess>true</AutoProcess>",
        "<AutoProcess>true</AutoProcess><Future a=\"1\"><Deep>x</Deep></Future>",
    )
    .replace("<ObjectPrefix>", "<QueueId>p0123</QueueId><ObjectPrefix>");
    let wf = parse(&body).unwrap();
    let node = wf.node("ImageInspectNode").unwrap().element();
    let future = node
        .get("Operation")
        .unwrap()
        .get("ImageInspect")
        .unwrap()
        .get("Future");
    assert_eq!(future.unwrap().text_of("Deep"), Some("x"));
    assert_eq!(future.unwrap().attr_value("a"), Some("1"));
    let input = wf.start_node().element().get("Input").unwrap();
    assert_eq!(input.text_of("QueueId"), Some("p0123"));
}

#[test]
fn chinese_names_and_long_names_are_accepted() {
    let wf = parse(&seed_with("image-inspect", "异常图片检测_工作流-1")).unwrap();
    assert_eq!(wf.name(), "异常图片检测_工作流-1");
    let long = "名".repeat(128);
    assert!(parse(&seed_with("image-inspect", &long)).is_ok());
    assert!(parse(&seed_with("image-inspect", "em—dash")).is_ok());
}

#[test]
fn an_empty_body_is_missing_content() {
    assert_eq!(Workflow::parse(b""), Err(WorkflowError::MissingContent));
    assert_eq!(Workflow::parse(b" \n "), Err(WorkflowError::MissingContent));
}

#[test]
fn a_malformed_body_is_invalid_content() {
    for bad in [
        "<Request><MediaWorkflow>",
        "not xml",
        "<!DOCTYPE x [<!ENTITY a \"b\">]><Request/>",
        "<Request>&a;</Request>",
    ] {
        let result = parse(bad);
        assert!(
            matches!(result, Err(WorkflowError::InvalidContent(_))),
            "{bad:?} gave {result:?}"
        );
    }
    let huge = format!("<Request>{}</Request>", " ".repeat(2 * 1024 * 1024));
    assert_eq!(
        parse(&huge),
        Err(WorkflowError::InvalidContent(XmlError::TooLarge))
    );
}

#[test]
fn fan_out_and_fan_in_topologies_are_accepted() {
    let deps = "<Start>A,B</Start><A>End</A><B>End</B>";
    let wf = parse(&body(deps, &(inspect("A") + &inspect("B")))).unwrap();
    assert_eq!(wf.successors("Start"), ["A", "B"]);
    assert_eq!(wf.predecessors("End"), ["A", "B"]);
    assert_eq!(wf.predecessors("A"), ["Start"]);
    assert!(wf.predecessors("Start").is_empty());
    assert!(wf.successors("Nope").is_empty());
}

#[test]
fn the_stored_form_reads_back_unchanged() {
    for body in [SEED_BODY.to_owned(), seed_with("<State>Active</State>", "")] {
        let wf = parse(&body).unwrap();
        let stored = wf.to_stored();
        assert!(
            !stored.starts_with("<?xml"),
            "stored form is a bare element"
        );
        assert_eq!(Workflow::from_stored(&stored).unwrap(), wf);
    }
}

#[test]
fn a_stored_form_must_be_a_media_workflow() {
    let err = Workflow::from_stored("<Request/>").unwrap_err();
    assert!(matches!(err, WorkflowError::InvalidArgument { .. }));
    assert!(Workflow::from_stored("").is_err());
}

#[test]
fn a_wide_fan_out_parses_and_validates() {
    let names: Vec<String> = (0..3000).map(|i| format!("N{i}")).collect();
    let deps = format!(
        "<Start>{}</Start>{}",
        names.join(","),
        names
            .iter()
            .map(|n| format!("<{n}>End</{n}>"))
            .collect::<String>()
    );
    let nodes: String = names.iter().map(|n| inspect(n)).collect();
    let wf = parse(&body(&deps, &nodes)).unwrap();
    assert_eq!(wf.nodes().len(), 3001);
    assert_eq!(wf.predecessors("End").len(), 3000);
}

#[test]
fn a_huge_repeated_successor_list_is_refused_quickly() {
    let list = vec!["A"; 200_000].join(",");
    let deps = format!("<Start>{list}</Start><A>End</A>");
    assert!(parse(&body(&deps, &inspect("A"))).is_err());
    let exts: Vec<String> = (0..100_000).map(|i| format!("e{i}")).collect();
    let reason = common::refused(
        &seed_with("jpg/png", &exts.join("/")),
        "Topology.Nodes.Start.Input.ExtFilter.CustomExts",
    );
    assert!(reason.contains("10"), "{reason}");
}
