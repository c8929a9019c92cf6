//! Every refusal names the element at fault.

mod common;

use common::{SEED_BODY, body, inspect, refused, seed_with, with_input};

const INPUT: &str = "Topology.Nodes.Start.Input";

#[test]
fn the_root_must_be_request_with_media_workflow() {
    refused("<MediaWorkflow/>", "Request");
    refused("<Request><Other/></Request>", "MediaWorkflow");
    refused(
        "<Request><MediaWorkflow><Name>a</Name></MediaWorkflow></Request>",
        "Topology",
    );
    let no_nodes = "<Request><MediaWorkflow><Name>a</Name><Topology><Dependencies>\
        <Start>End</Start></Dependencies><Nodes></Nodes></Topology></MediaWorkflow></Request>";
    refused(no_nodes, "Topology.Nodes");
    let no_deps = seed_with(
        "<Dependencies><Start>ImageInspectNode</Start><ImageInspectNode>End</ImageInspectNode>\
         </Dependencies>",
        "",
    );
    refused(&no_deps, "Topology.Dependencies");
}

#[test]
fn name_is_required() {
    refused(&seed_with("<Name>image-inspect</Name>", ""), "Name");
    refused(
        &seed_with("<Name>image-inspect</Name>", "<Name> </Name>"),
        "Name",
    );
}

#[test]
fn name_has_at_most_128_characters() {
    let reason = refused(&seed_with("image-inspect", &"a".repeat(129)), "Name");
    assert!(reason.contains("128"), "{reason}");
}

#[test]
fn name_uses_the_documented_characters() {
    for bad in ["a b", "a.b", "a/b", "ümlaut", "a&amp;b", "😀"] {
        let reason = refused(&seed_with("image-inspect", bad), "Name");
        assert!(reason.contains("Chinese characters"), "{reason}");
    }
}

#[test]
fn state_is_active_or_paused() {
    let reason = refused(
        &seed_with("<State>Active</State>", "<State>active</State>"),
        "State",
    );
    assert!(reason.contains("Active or Paused"), "{reason}");
}

#[test]
fn a_start_node_is_required() {
    let no_start = "<Request><MediaWorkflow><Name>a</Name><Topology><Dependencies><A>End</A>\
        </Dependencies><Nodes><A><Type>ImageInspect</Type></A></Nodes></Topology>\
        </MediaWorkflow></Request>";
    refused(no_start, "Topology.Nodes");
}

#[test]
fn only_one_start_node_is_allowed() {
    let nodes = "<Other><Type>Start</Type><Input><ObjectPrefix>x</ObjectPrefix></Input></Other>";
    refused(&body("<Start>End</Start>", nodes), "Topology.Nodes.Other");
}

#[test]
fn the_start_node_is_named_start() {
    let renamed = seed_with("<Start><Type>Start</Type>", "<Begin><Type>Start</Type>")
        .replace("</Input></Start>", "</Input></Begin>");
    refused(&renamed, "Topology.Nodes.Begin");
    let wrong_type = seed_with(
        "<Start><Type>Start</Type>",
        "<Start><Type>ImageInspect</Type>",
    );
    refused(&wrong_type, "Topology.Nodes.Start.Type");
}

#[test]
fn the_start_node_needs_an_input_with_an_object_prefix() {
    refused(&with_input(""), INPUT);
    refused(
        &with_input("<Input><ObjectPrefix></ObjectPrefix></Input>"),
        INPUT,
    );
    let reason = refused(
        &with_input("<Input><ObjectPrefix> </ObjectPrefix><QueueId>p1</QueueId></Input>"),
        &format!("{INPUT}.ObjectPrefix"),
    );
    assert_eq!(reason, "is required");
}

#[test]
fn node_type_is_required() {
    let node = "<A><Type></Type></A>";
    refused(
        &body("<Start>A</Start><A>End</A>", node),
        "Topology.Nodes.A.Type",
    );
}

#[test]
fn unknown_node_types_are_refused_with_the_supported_list() {
    let node = "<A><Type>Teleport</Type></A>";
    let reason = refused(
        &body("<Start>A</Start><A>End</A>", node),
        "Topology.Nodes.A.Type",
    );
    assert!(reason.contains("Start, End, ImageInspect"), "{reason}");
}

#[test]
fn documented_but_unsupported_node_types_are_refused_with_the_supported_list() {
    for node_type in ["Transcode", "Snapshot", "PicProcess", "SCF", "MediaInfo"] {
        let node = format!("<A><Type>{node_type}</Type></A>");
        let reason = refused(
            &body("<Start>A</Start><A>End</A>", &node),
            "Topology.Nodes.A.Type",
        );
        assert!(reason.contains("not supported"), "{reason}");
        assert!(reason.contains("Start, End, ImageInspect"), "{reason}");
    }
}

#[test]
fn end_is_not_a_node() {
    let end_node = "<End><Type>ImageInspect</Type></End>";
    refused(&body("<Start>End</Start>", end_node), "Topology.Nodes.End");
    let end_type = "<A><Type>End</Type></A>";
    refused(
        &body("<Start>A</Start><A>End</A>", end_type),
        "Topology.Nodes.A.Type",
    );
}

#[test]
fn end_has_no_successors() {
    let deps = "<Start>A</Start><A>End</A><End>A</End>";
    refused(&body(deps, &inspect("A")), "Topology.Dependencies.End");
}

#[test]
fn nodes_and_dependencies_are_unique() {
    let twice = inspect("A") + &inspect("A");
    refused(
        &body("<Start>A</Start><A>End</A>", &twice),
        "Topology.Nodes.A",
    );
    let deps = "<Start>A</Start><A>End</A><A>End</A>";
    refused(&body(deps, &inspect("A")), "Topology.Dependencies.A");
    let deps = "<Start>A,A</Start><A>End</A>";
    refused(&body(deps, &inspect("A")), "Topology.Dependencies.Start");
}

#[test]
fn every_dependency_is_a_defined_node() {
    let deps = "<Start>A</Start><A>End</A><Ghost>End</Ghost>";
    let reason = refused(&body(deps, &inspect("A")), "Topology.Dependencies.Ghost");
    assert!(reason.contains("Ghost"), "{reason}");
}

#[test]
fn every_successor_is_a_defined_node() {
    let deps = "<Start>A,Ghost</Start><A>End</A>";
    let reason = refused(&body(deps, &inspect("A")), "Topology.Dependencies.Start");
    assert!(reason.contains("Ghost"), "{reason}");
}

#[test]
fn successor_lists_have_no_empty_names() {
    let deps = "<Start>A,,</Start><A>End</A>";
    refused(&body(deps, &inspect("A")), "Topology.Dependencies.Start");
}

#[test]
fn every_node_is_reachable_from_start() {
    let deps = "<Start>A</Start><A>End</A><B>End</B>";
    let nodes = inspect("A") + &inspect("B");
    let reason = refused(&body(deps, &nodes), "Topology.Nodes.B");
    assert!(reason.contains("reachable"), "{reason}");
}

#[test]
fn cycles_are_refused() {
    let deps = "<Start>A</Start><A>B</A><B>A,End</B>";
    let nodes = inspect("A") + &inspect("B");
    let reason = refused(&body(deps, &nodes), "Topology.Dependencies.B");
    assert!(reason.contains("cycle"), "{reason}");
    let deps = "<Start>A</Start><A>A,End</A>";
    refused(&body(deps, &inspect("A")), "Topology.Dependencies.A");
}

#[test]
fn every_path_reaches_end() {
    let missing = "<Start>A</Start>";
    refused(&body(missing, &inspect("A")), "Topology.Dependencies.A");
    let empty = "<Start>A</Start><A></A>";
    let reason = refused(&body(empty, &inspect("A")), "Topology.Dependencies.A");
    assert!(reason.contains("End"), "{reason}");
    refused(&body("", ""), "Topology.Dependencies");
}

#[test]
fn start_cannot_go_straight_to_end() {
    let reason = refused(
        &body("<Start>End</Start>", ""),
        "Topology.Dependencies.Start",
    );
    assert!(reason.contains("Start"), "{reason}");
}

#[test]
fn image_inspect_is_followed_only_by_end() {
    let deps = "<Start>A</Start><A>B</A><B>End</B>";
    let nodes = inspect("A") + &inspect("B");
    let reason = refused(&body(deps, &nodes), "Topology.Dependencies.A");
    assert!(reason.contains("ImageInspect"), "{reason}");
}

#[test]
fn auto_process_is_true_or_false() {
    let body = seed_with(
        "<AutoProcess>true</AutoProcess>",
        "<AutoProcess>yes</AutoProcess>",
    );
    let path = "Topology.Nodes.ImageInspectNode.Operation.ImageInspect.AutoProcess";
    assert!(refused(&body, path).contains("true, false"));
}

#[test]
fn process_type_is_one_of_the_documented_actions() {
    let body = seed_with("BackupObject", "Shred");
    let path = "Topology.Nodes.ImageInspectNode.Operation.ImageInspect.ProcessType";
    let reason = refused(&body, path);
    assert!(
        reason.contains("BackupObject, SwitchObjectToPrivate, DeleteObject"),
        "{reason}"
    );
}

#[test]
fn only_url_notifications_are_supported() {
    for other in ["TDMQ", "Kafka", "Sms"] {
        let body = seed_with("<Type>Url</Type>", &format!("<Type>{other}</Type>"));
        let reason = refused(&body, &format!("{INPUT}.NotifyConfig.Type"));
        assert!(reason.contains("not supported"), "{reason}");
        assert!(reason.contains("supported types: Url"), "{reason}");
    }
}

#[test]
fn notify_type_is_required() {
    let body = seed_with("<Type>Url</Type><Url>", "<Type></Type><Url>");
    refused(&body, &format!("{INPUT}.NotifyConfig.Type"));
}

#[test]
fn notify_url_is_required_and_http() {
    let path = format!("{INPUT}.NotifyConfig.Url");
    refused(&seed_with("http://www.callback.com", ""), &path);
    for bad in [
        "ftp://x.example/",
        "www.callback.com",
        "http://",
        "http:///path",
        "http://a b",
    ] {
        let reason = refused(&seed_with("http://www.callback.com", bad), &path);
        assert!(reason.contains("http"), "{reason}");
    }
}

#[test]
fn notify_events_are_required_and_known() {
    let path = format!("{INPUT}.NotifyConfig.Event");
    refused(&seed_with("WorkflowFinish,TaskFinish", ""), &path);
    refused(&seed_with("WorkflowFinish,TaskFinish", " , "), &path);
    let reason = refused(
        &seed_with("WorkflowFinish,TaskFinish", "WorkflowStart"),
        &path,
    );
    assert!(reason.contains("TaskFinish, WorkflowFinish"), "{reason}");
}

#[test]
fn result_format_is_xml_or_json() {
    let body = seed_with(
        "<ResultFormat></ResultFormat>",
        "<ResultFormat>YAML</ResultFormat>",
    );
    let reason = refused(&body, &format!("{INPUT}.NotifyConfig.ResultFormat"));
    assert!(reason.contains("XML, JSON"), "{reason}");
}

#[test]
fn ext_filter_state_is_on_or_off() {
    let body = seed_with(
        "<ExtFilter><State></State>",
        "<ExtFilter><State>true</State>",
    );
    let reason = refused(&body, &format!("{INPUT}.ExtFilter.State"));
    assert!(reason.contains("On, Off"), "{reason}");
}

#[test]
fn ext_filter_flags_are_true_or_false() {
    for flag in [
        "Video",
        "Audio",
        "Image",
        "ContentType",
        "Custom",
        "AllFile",
    ] {
        let from = format!("<{flag}></{flag}>");
        let body = seed_with(&from, &format!("<{flag}>On</{flag}>"));
        refused(&body, &format!("{INPUT}.ExtFilter.{flag}"));
    }
}

#[test]
fn custom_exts_are_required_when_custom_is_true() {
    let body = seed_with("<Custom></Custom>", "<Custom>true</Custom>").replace(
        "<CustomExts>jpg/png</CustomExts>",
        "<CustomExts></CustomExts>",
    );
    refused(&body, &format!("{INPUT}.ExtFilter.CustomExts"));
}

#[test]
fn custom_exts_hold_at_most_ten_suffixes() {
    let eleven = "a/b/c/d/e/f/g/h/i/j/k";
    let reason = refused(
        &seed_with("jpg/png", eleven),
        &format!("{INPUT}.ExtFilter.CustomExts"),
    );
    assert!(reason.contains("10"), "{reason}");
    assert!(common::parse(&seed_with("jpg/png", "a/b/c/d/e/f/g/h/i/j")).is_ok());
    refused(
        &seed_with("jpg/png", "jpg//png"),
        &format!("{INPUT}.ExtFilter.CustomExts"),
    );
}

#[test]
fn the_seed_itself_is_valid() {
    assert!(common::parse(SEED_BODY).is_ok());
}
