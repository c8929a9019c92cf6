//! Processing nodes. A node reads the object, returns its result document and the side
//! effect it wants; the scheduler applies the effect in the same transaction that records
//! the task's outcome, so a node never acts twice.

use bucketflow_store::{ObjectRecord, Store, TaskRecord, Tx};
use bucketflow_xml::Element;

use crate::workflow::{ImageInspect, NodeType, ProcessType, Workflow};

/// Where abnormal images are moved by `BackupObject` (spec §3.6).
pub const BACKUP_PREFIX: &str = "abnormal_images_backup/";

/// What a node run produced.
pub struct NodeRun {
    pub succeeded: bool,
    pub code: String,
    pub message: String,
    /// The node's result document (e.g. `ImageInspectResult`).
    pub result: Option<Element>,
    pub effect: Option<Effect>,
}

impl NodeRun {
    pub fn failed(code: &str, message: impl Into<String>) -> NodeRun {
        NodeRun {
            succeeded: false,
            code: code.to_string(),
            message: message.into(),
            result: None,
            effect: None,
        }
    }
}

/// A change to the object that a node asks for. Each is applied only if the object is still
/// the version the node looked at (same blob), and each is idempotent.
#[derive(Debug, Clone)]
pub struct Effect {
    pub action: ProcessType,
    pub bucket: String,
    pub key: String,
    pub blob: String,
}

/// Runs the node of `task` on the execution's object.
pub fn run(
    store: &Store,
    workflow: &Workflow,
    task: &TaskRecord,
    bucket: &str,
    key: &str,
    limits: &NodeLimits,
) -> NodeRun {
    let Some(node) = workflow.node(&task.node) else {
        return NodeRun::failed(
            "InternalError",
            format!("node {} is not in the topology", task.node),
        );
    };
    match node.node_type() {
        NodeType::ImageInspect => {
            let options = node.image_inspect().unwrap_or_default();
            image_inspect(store, &options, bucket, key, limits)
        }
        other => NodeRun::failed(
            "NotImplemented",
            format!("node type {} cannot run on this server", other.as_str()),
        ),
    }
}

/// Bounds the nodes work within.
#[derive(Debug, Clone)]
pub struct NodeLimits {
    pub inspect_max_bytes: u64,
    pub region: String,
}

fn image_inspect(
    store: &Store,
    options: &ImageInspect,
    bucket: &str,
    key: &str,
    limits: &NodeLimits,
) -> NodeRun {
    // Load the object as it is now.
    let object = match store.read(|r| r.object(bucket, key)) {
        Ok(Some(object)) => object,
        Ok(None) => return NodeRun::failed("ResourceNotFound", "The object does not exist."),
        Err(e) => return NodeRun::failed("InternalError", e.to_string()),
    };
    if object.size > limits.inspect_max_bytes {
        return NodeRun::failed(
            "InvalidArgument",
            format!(
                "The object is larger than the {} byte limit.",
                limits.inspect_max_bytes
            ),
        );
    }
    let bytes = match std::fs::read(store.blobs().path(&object.blob)) {
        Ok(bytes) => bytes,
        Err(e) => return NodeRun::failed("InternalError", e.to_string()),
    };

    // Judge it.
    let report = bucketflow_inspect::inspect(&bytes);
    if !report.supported() {
        return NodeRun::failed(
            "ResourceNotSupported",
            "The object is not a supported image (JPEG, PNG, GIF, BMP, WebP) or TS stream.",
        );
    }
    let effect = (report.suspicious.is_some() && options.auto_process).then(|| Effect {
        action: options.process_type,
        bucket: object.bucket.clone(),
        key: object.key.clone(),
        blob: object.blob.clone(),
    });
    NodeRun {
        succeeded: true,
        code: "Success".into(),
        message: String::new(),
        result: Some(image_inspect_result(&object, &report, limits)),
        effect,
    }
}

/// `ImageInspectResult` as the callback documents it (spec §8.4), without the
/// `AutoProcessResult`, which the scheduler adds once the effect is applied.
fn image_inspect_result(
    object: &ObjectRecord,
    report: &bucketflow_inspect::Report,
    limits: &NodeLimits,
) -> Element {
    let vendor = report.vendor();
    let mut process = Element::new("ProcessResult")
        .child(Element::with_text("PicSize", vendor.pic_size.to_string()))
        .child(Element::with_text("PicType", vendor.pic_type))
        .child(Element::with_text(
            "Suspicious",
            vendor.suspicious.to_string(),
        ));
    if let Some(s) = &report.suspicious {
        process.push(Element::with_text(
            "SuspiciousBeginByte",
            s.begin.to_string(),
        ));
        process.push(Element::with_text("SuspiciousEndByte", s.end.to_string()));
        process.push(Element::with_text("SuspiciousSize", s.size.to_string()));
        process.push(Element::with_text("SuspiciousType", s.kind.as_str()));
    }
    Element::new("ImageInspectResult")
        .child(Element::with_text("State", "Success"))
        .child(Element::with_text("Code", "Success"))
        .child(Element::with_text("Message", ""))
        .child(Element::with_text("InputObjectName", object.key.as_str()))
        .child(Element::with_text(
            "InputObjectUrl",
            format!(
                "https://{}.cos.{}.myqcloud.com/{}",
                object.bucket, limits.region, object.key
            ),
        ))
        .child(process)
}

/// Applies `effect` inside the task's commit. Returns the `AutoProcessResult` code and
/// message, and the blobs freed by the change.
pub fn apply_effect(
    tx: &Tx<'_>,
    effect: &Effect,
) -> bucketflow_store::Result<(String, String, Vec<String>)> {
    let current = tx.object(&effect.bucket, &effect.key)?;
    let Some(current) = current.filter(|o| o.blob == effect.blob) else {
        return Ok((
            "ObjectChanged".into(),
            "The object was replaced or deleted after inspection; nothing was done.".into(),
            Vec::new(),
        ));
    };
    let mut freed = Vec::new();
    match effect.action {
        ProcessType::BackupObject => {
            let backup = ObjectRecord {
                key: format!("{BACKUP_PREFIX}{}", current.key),
                ..current.clone()
            };
            freed.extend(tx.put_object(&backup)?);
            // The blob now belongs to the backup; only the row of the original goes.
            tx.delete_object(&current.bucket, &current.key)?;
        }
        ProcessType::SwitchObjectToPrivate => {
            tx.set_object_acl(&current.bucket, &current.key, "private")?;
        }
        ProcessType::DeleteObject => {
            freed.extend(tx.delete_object(&current.bucket, &current.key)?);
        }
    }
    Ok(("Success".into(), "Success".into(), freed))
}
