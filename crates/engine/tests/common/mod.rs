//! The seed example's body, as the Python SDK sends it, and helpers to vary it.

#![allow(dead_code)] // each test file uses a different subset of the helpers

use bucketflow_engine::workflow::{Workflow, WorkflowError};

/// `ci_create_workflow_image_inspect` from the seed, run through `xmltodict.unparse`: the
/// declaration, a newline, then one compact line; empty strings become empty elements.
pub const SEED_BODY: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
    "<Request><MediaWorkflow><Name>image-inspect</Name><State>Active</State><Topology>",
    "<Dependencies><Start>ImageInspectNode</Start><ImageInspectNode>End</ImageInspectNode>",
    "</Dependencies><Nodes><Start><Type>Start</Type><Input><ObjectPrefix>test</ObjectPrefix>",
    "<NotifyConfig><Type>Url</Type><Url>http://www.callback.com</Url>",
    "<Event>WorkflowFinish,TaskFinish</Event><ResultFormat></ResultFormat><MqRegion></MqRegion>",
    "<MqMode></MqMode><MqName></MqName></NotifyConfig><ExtFilter><State></State><Video></Video>",
    "<Audio></Audio><Image></Image><ContentType></ContentType><Custom></Custom>",
    "<CustomExts>jpg/png</CustomExts><AllFile></AllFile></ExtFilter></Input></Start>",
    "<ImageInspectNode><Type>ImageInspect</Type><Operation><ImageInspect>",
    "<AutoProcess>true</AutoProcess><ProcessType>BackupObject</ProcessType></ImageInspect>",
    "</Operation></ImageInspectNode></Nodes></Topology></MediaWorkflow></Request>"
);

/// The seed body with `from` replaced by `to` (which must occur).
pub fn seed_with(from: &str, to: &str) -> String {
    assert!(SEED_BODY.contains(from), "the seed body has no {from:?}");
    SEED_BODY.replacen(from, to, 1)
}

/// A minimal body around the given `Dependencies` and extra `Nodes` content; the Start node
/// (prefix `in/`) is always included.
pub fn body(dependencies: &str, nodes: &str) -> String {
    format!(
        "<Request><MediaWorkflow><Name>wf</Name><Topology><Dependencies>{dependencies}\
         </Dependencies><Nodes><Start><Type>Start</Type><Input><ObjectPrefix>in/</ObjectPrefix>\
         </Input></Start>{nodes}</Nodes></Topology></MediaWorkflow></Request>"
    )
}

/// An ImageInspect node named `name`.
pub fn inspect(name: &str) -> String {
    format!("<{name}><Type>ImageInspect</Type></{name}>")
}

/// A body with the seed's Start `Input` replaced by `input`.
pub fn with_input(input: &str) -> String {
    let start = SEED_BODY.find("<Input>").unwrap();
    let end = SEED_BODY.find("</Input>").unwrap() + "</Input>".len();
    format!("{}{input}{}", &SEED_BODY[..start], &SEED_BODY[end..])
}

pub fn parse(body: &str) -> Result<Workflow, WorkflowError> {
    Workflow::parse(body.as_bytes())
}

/// Parses `body`, expecting `InvalidArgument` on `element`; returns the reason.
#[track_caller]
pub fn refused(body: &str, element: &str) -> String {
    match parse(body) {
        Err(WorkflowError::InvalidArgument { element: e, reason }) => {
            assert_eq!(e, element, "wrong element for reason {reason:?}");
            let message = parse(body).unwrap_err().to_string();
            assert!(
                message.contains(element),
                "{message:?} does not name {element}"
            );
            reason
        }
        other => panic!("expected InvalidArgument on {element}, got {other:?}"),
    }
}
