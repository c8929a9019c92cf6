//! The Start node's `Input` (spec §3.2–3.4) and ImageInspect's `Operation` (§3.6).

use bucketflow_xml::Element;

use super::error::WorkflowError;
use super::model::{
    ExtFilter, ImageInspect, Input, NotifyConfig, NotifyEvent, NotifyType, ProcessType,
    ResultFormat,
};

type Result<T> = std::result::Result<T, WorkflowError>;

const INPUT_PATH: &str = "Topology.Nodes.Start.Input";

/// The notification types this server delivers. `TDMQ` and `Kafka` are refused.
pub const SUPPORTED_NOTIFY_TYPES: &[(&str, NotifyType)] = &[("Url", NotifyType::Url)];

const NOTIFY_EVENTS: &[(&str, NotifyEvent)] = &[
    ("TaskFinish", NotifyEvent::TaskFinish),
    ("WorkflowFinish", NotifyEvent::WorkflowFinish),
];
const RESULT_FORMATS: &[(&str, ResultFormat)] =
    &[("XML", ResultFormat::Xml), ("JSON", ResultFormat::Json)];
const PROCESS_TYPES: &[(&str, ProcessType)] = &[
    ("BackupObject", ProcessType::BackupObject),
    ("SwitchObjectToPrivate", ProcessType::SwitchObjectToPrivate),
    ("DeleteObject", ProcessType::DeleteObject),
];
const ON_OFF: &[(&str, bool)] = &[("On", true), ("Off", false)];
const TRUE_FALSE: &[(&str, bool)] = &[("true", true), ("false", false)];

/// `CustomExts` holds at most this many suffixes.
pub const MAX_CUSTOM_EXTS: usize = 10;

/// Reads the Start node's `Input`; `ObjectPrefix` is required.
pub(crate) fn parse_input(start: &Element) -> Result<Input> {
    let input = start
        .get("Input")
        .filter(|i| has_content(i))
        .ok_or_else(|| WorkflowError::invalid(INPUT_PATH, "is required"))?;
    let object_prefix = input.text_of("ObjectPrefix").ok_or_else(|| {
        WorkflowError::invalid(format!("{INPUT_PATH}.ObjectPrefix"), "is required")
    })?;
    let notify_config = match input.get("NotifyConfig").filter(|n| has_content(n)) {
        Some(n) => Some(parse_notify_config(n)?),
        None => None,
    };
    let ext_filter = match input.get("ExtFilter").filter(|f| has_content(f)) {
        Some(f) => Some(parse_ext_filter(f)?),
        None => None,
    };
    Ok(Input {
        object_prefix: object_prefix.to_owned(),
        notify_config,
        ext_filter,
    })
}

/// `NotifyConfig`: `Type` must be `Url`, with an http(s) `Url` and a non-empty `Event` list.
fn parse_notify_config(notify: &Element) -> Result<NotifyConfig> {
    let path = format!("{INPUT_PATH}.NotifyConfig");
    let supported = names(SUPPORTED_NOTIFY_TYPES);
    let notify_type = match notify.text_of("Type") {
        None => {
            return Err(WorkflowError::invalid(
                format!("{path}.Type"),
                "is required",
            ));
        }
        Some(t) => lookup(SUPPORTED_NOTIFY_TYPES, t).ok_or_else(|| {
            let reason =
                format!("notification type {t:?} is not supported; supported types: {supported}");
            WorkflowError::invalid(format!("{path}.Type"), reason)
        })?,
    };
    Ok(NotifyConfig {
        notify_type,
        url: parse_url(notify, &path)?,
        events: parse_events(notify, &path)?,
        result_format: choice(
            notify,
            "ResultFormat",
            &path,
            RESULT_FORMATS,
            ResultFormat::Xml,
        )?,
        enabled: choice(notify, "State", &path, ON_OFF, true)?,
    })
}

fn parse_url(notify: &Element, path: &str) -> Result<String> {
    let path = format!("{path}.Url");
    let url = notify
        .text_of("Url")
        .ok_or_else(|| WorkflowError::invalid(&path, "is required when Type is Url"))?;
    if !is_http_url(url) {
        let reason = format!("must be an http:// or https:// URL with a host, not {url:?}");
        return Err(WorkflowError::invalid(path, reason));
    }
    Ok(url.to_owned())
}

/// An absolute http(s) URL with a non-empty host and no whitespace or control characters.
fn is_http_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host_name = host.split(':').next().unwrap_or_default();
    !host_name.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `Event`: a comma-separated, non-empty list of `TaskFinish` / `WorkflowFinish`.
fn parse_events(notify: &Element, path: &str) -> Result<Vec<NotifyEvent>> {
    let path = format!("{path}.Event");
    let list = notify
        .text_of("Event")
        .ok_or_else(|| WorkflowError::invalid(&path, "is required"))?;
    let mut events = Vec::new();
    for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let event = lookup(NOTIFY_EVENTS, item).ok_or_else(|| {
            let reason = format!("unknown event {item:?}; events: {}", names(NOTIFY_EVENTS));
            WorkflowError::invalid(&path, reason)
        })?;
        if !events.contains(&event) {
            events.push(event);
        }
    }
    if events.is_empty() {
        return Err(WorkflowError::invalid(path, "is required"));
    }
    Ok(events)
}

/// `ExtFilter`: `State` On/Off, flags true/false, `CustomExts` required with `Custom=true`.
fn parse_ext_filter(filter: &Element) -> Result<ExtFilter> {
    let path = format!("{INPUT_PATH}.ExtFilter");
    let flag = |name: &str| choice(filter, name, &path, TRUE_FALSE, false);
    let parsed = ExtFilter {
        enabled: choice(filter, "State", &path, ON_OFF, false)?,
        video: flag("Video")?,
        audio: flag("Audio")?,
        image: flag("Image")?,
        content_type: flag("ContentType")?,
        custom: flag("Custom")?,
        custom_exts: parse_custom_exts(filter, &path)?,
        all_file: flag("AllFile")?,
    };
    if parsed.custom && parsed.custom_exts.is_empty() {
        let reason = "is required when Custom is true";
        return Err(WorkflowError::invalid(format!("{path}.CustomExts"), reason));
    }
    Ok(parsed)
}

/// `CustomExts`: `jpg/png` → `["jpg", "png"]`, at most [`MAX_CUSTOM_EXTS`].
fn parse_custom_exts(filter: &Element, path: &str) -> Result<Vec<String>> {
    let path = format!("{path}.CustomExts");
    let Some(list) = filter.text_of("CustomExts") else {
        return Ok(Vec::new());
    };
    let mut exts: Vec<String> = Vec::new();
    for item in list.split('/').map(str::trim) {
        let ext = item.trim_start_matches('.').to_lowercase();
        if ext.is_empty() {
            return Err(WorkflowError::invalid(path, "has an empty suffix"));
        }
        if !exts.contains(&ext) {
            exts.push(ext);
        }
        if exts.len() > MAX_CUSTOM_EXTS {
            let reason = format!("lists more than {MAX_CUSTOM_EXTS} suffixes");
            return Err(WorkflowError::invalid(path, reason));
        }
    }
    Ok(exts)
}

/// `Operation.ImageInspect` of an ImageInspect node; all of it is optional.
pub(crate) fn parse_image_inspect(node: &Element, node_path: &str) -> Result<ImageInspect> {
    let path = format!("{node_path}.Operation.ImageInspect");
    let Some(options) = node.get("Operation").and_then(|o| o.get("ImageInspect")) else {
        return Ok(ImageInspect::default());
    };
    let defaults = ImageInspect::default();
    Ok(ImageInspect {
        auto_process: choice(
            options,
            "AutoProcess",
            &path,
            TRUE_FALSE,
            defaults.auto_process,
        )?,
        process_type: choice(
            options,
            "ProcessType",
            &path,
            PROCESS_TYPES,
            defaults.process_type,
        )?,
    })
}

/// The value of child `name` among `options` (exact spelling), or `default` when unset.
fn choice<T: Copy>(
    parent: &Element,
    name: &str,
    parent_path: &str,
    options: &[(&str, T)],
    default: T,
) -> Result<T> {
    let Some(written) = parent.text_of(name) else {
        return Ok(default);
    };
    lookup(options, written).ok_or_else(|| {
        let reason = format!("must be one of {}, not {written:?}", names(options));
        WorkflowError::invalid(format!("{parent_path}.{name}"), reason)
    })
}

fn lookup<T: Copy>(options: &[(&str, T)], written: &str) -> Option<T> {
    options.iter().find(|(n, _)| *n == written).map(|(_, v)| *v)
}

fn names<T>(options: &[(&str, T)]) -> String {
    options
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a container holds any non-empty value: one made of empty elements means "unset".
fn has_content(element: &Element) -> bool {
    element.value().is_some() || element.children.iter().any(has_content)
}
