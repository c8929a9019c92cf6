//! Reading what a CI request asks for: its bounded XML body, the `?active` / `?paused` flag,
//! the `ids` list and paging (spec §1.3–1.5, §4.3, §4.4).

use bucketflow_engine::workflow::{WorkflowError, WorkflowState};
use bucketflow_xml::Limits;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::error::{ApiError, ApiResult};

/// An over-long body is read on and dropped up to this many bytes, so a client that is still
/// sending receives the error document instead of a reset connection.
const DRAIN_LIMIT: usize = 8 * 1024 * 1024;

/// `pageNumber` when unset.
pub const DEFAULT_PAGE_NUMBER: u64 = 1;
/// `pageSize` when unset; the default of the sibling CI list APIs (spec §4.4).
pub const DEFAULT_PAGE_SIZE: u64 = 10;
/// The largest `pageSize`; larger values are lowered to it and echoed as applied.
pub const MAX_PAGE_SIZE: u64 = 100;

/// Reads an XML request body, refusing more than the XML parser's own size limit.
pub async fn read_xml_body(mut body: Incoming) -> ApiResult<Bytes> {
    let limit = Limits::default().max_bytes;
    let mut kept = BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::InvalidContent(format!("The request body could not be read: {e}"))
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen <= limit {
            kept.extend_from_slice(&data);
        } else if seen > DRAIN_LIMIT {
            break;
        }
    }
    if seen > limit {
        return Err(too_large(limit));
    }
    Ok(kept.freeze())
}

fn too_large(limit: usize) -> ApiError {
    ApiError::InvalidContent(format!(
        "The request body is larger than the limit of {limit} bytes."
    ))
}

/// The answer to a `MediaWorkflow` body that the engine refused. The engine's messages name
/// the offending element and are written for the client.
pub fn workflow_body_error(error: WorkflowError) -> ApiError {
    match error {
        WorkflowError::MissingContent => ApiError::MissingContent,
        WorkflowError::InvalidContent(bucketflow_xml::XmlError::TooLarge) => {
            too_large(Limits::default().max_bytes)
        }
        WorkflowError::InvalidContent(xml) => ApiError::InvalidContent(format!(
            "The request body is not a readable XML document: {xml}."
        )),
        invalid @ WorkflowError::InvalidArgument { .. } => {
            ApiError::CiInvalidArgument(invalid.to_string())
        }
    }
}

/// The state a `PUT /workflow/<id>` asks for with a valueless `active` / `paused` flag
/// (`?active`, `?active=`, any case); `None` when it carries no flag and is an update.
pub fn requested_state(query: &[(String, String)]) -> ApiResult<Option<WorkflowState>> {
    let mut flags = query
        .iter()
        .filter_map(|(name, _)| WorkflowState::from_query_flag(name));
    let first = flags.next();
    if flags.any(|other| Some(other) != first) {
        return Err(ApiError::CiInvalidArgument(
            "The query asks for both active and paused; give exactly one.".into(),
        ));
    }
    Ok(first)
}

/// The `ids` parameter: comma-separated WorkflowIds, blanks dropped, duplicates removed.
pub fn requested_ids(ids: Option<&str>) -> Vec<String> {
    let mut unique: Vec<String> = Vec::new();
    for id in ids.unwrap_or_default().split(',').map(str::trim) {
        if !id.is_empty() && !unique.iter().any(|u| u == id) {
            unique.push(id.to_owned());
        }
    }
    unique
}

/// `pageNumber` and `pageSize` with defaults applied, as they are echoed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub number: u64,
    pub size: u64,
}

impl Paging {
    /// Reads the parameters; empty values are unset, as the Python SDK sends them.
    pub fn parse(page_number: Option<&str>, page_size: Option<&str>) -> ApiResult<Paging> {
        let number = positive("pageNumber", page_number)?.unwrap_or(DEFAULT_PAGE_NUMBER);
        let size = positive("pageSize", page_size)?
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .min(MAX_PAGE_SIZE);
        Ok(Paging { number, size })
    }

    /// How many matches the pages before this one hold.
    pub fn offset(&self) -> u64 {
        (self.number - 1).saturating_mul(self.size)
    }
}

fn positive(name: &str, value: Option<&str>) -> ApiResult<Option<u64>> {
    let Some(text) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match text.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(ApiError::CiInvalidArgument(format!(
            "{name} must be a positive integer, not {text:?}."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn code(error: ApiError) -> &'static str {
        error.parts().0
    }

    #[test]
    fn state_flags_in_every_spelling() {
        let active = Some(WorkflowState::Active);
        assert_eq!(requested_state(&query(&[("active", "")])).unwrap(), active);
        assert_eq!(requested_state(&query(&[("Active", "x")])).unwrap(), active);
        let paused = query(&[("response-cache-control", "no-cache"), ("paused", "")]);
        assert_eq!(
            requested_state(&paused).unwrap(),
            Some(WorkflowState::Paused)
        );
        assert_eq!(
            requested_state(&query(&[("active", ""), ("active", "")])).unwrap(),
            active
        );
        assert_eq!(
            requested_state(&query(&[("name", "active")])).unwrap(),
            None
        );
    }

    #[test]
    fn both_state_flags_are_refused() {
        let both = query(&[("active", ""), ("paused", "")]);
        assert_eq!(code(requested_state(&both).unwrap_err()), "InvalidArgument");
    }

    #[test]
    fn ids_are_split_trimmed_and_deduplicated() {
        assert_eq!(requested_ids(None), Vec::<String>::new());
        assert_eq!(requested_ids(Some("")), Vec::<String>::new());
        assert_eq!(requested_ids(Some(" wa, ,wb,wa,")), ["wa", "wb"]);
    }

    #[test]
    fn paging_defaults_clamps_and_refuses() {
        let default = Paging::parse(Some(""), None).unwrap();
        assert_eq!((default.number, default.size, default.offset()), (1, 10, 0));
        let third = Paging::parse(Some("3"), Some("4")).unwrap();
        assert_eq!(third.offset(), 8);
        assert_eq!(
            Paging::parse(None, Some("1000")).unwrap().size,
            MAX_PAGE_SIZE
        );
        let far = Paging::parse(Some(&u64::MAX.to_string()), Some("100")).unwrap();
        assert_eq!(far.offset(), u64::MAX);
        for (number, size) in [
            ("0", "1"),
            ("-1", "1"),
            ("x", "1"),
            ("1", "0"),
            ("1", "1.5"),
        ] {
            let error = Paging::parse(Some(number), Some(size)).unwrap_err();
            assert_eq!(code(error), "InvalidArgument", "{number} {size}");
        }
    }

    #[test]
    fn body_errors_map_to_the_documented_codes() {
        use bucketflow_xml::XmlError;
        let missing = workflow_body_error(WorkflowError::MissingContent);
        assert_eq!(missing.parts().1.as_u16(), 400);
        assert_eq!(code(missing), "MissingContent");
        for xml in [XmlError::TooLarge, XmlError::TooDeep, XmlError::Doctype] {
            let invalid = workflow_body_error(WorkflowError::InvalidContent(xml));
            assert_eq!(code(invalid), "InvalidContent");
        }
        let argument = workflow_body_error(WorkflowError::InvalidArgument {
            element: "Name".into(),
            reason: "is required".into(),
        });
        let (code, status, message) = argument.parts();
        assert_eq!((code, status.as_u16()), ("InvalidArgument", 400));
        assert_eq!(message, "Name: is required");
    }
}
