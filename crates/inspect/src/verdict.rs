//! From a walk to a report: which bytes are not part of the image, and why.

use crate::bytes::has;
use crate::payload::{self, MAX_PADDING, is_padding};
use crate::report::{Declared, EndRule, PayloadType, PicType, Place, Report, Suspicious};
use crate::ts::{self, Search};
use crate::walk::{Break, Outcome, Walk};

const NOTHING_AFTER: &str = "nothing follows the image end";
const PADDING_AFTER: &str =
    "only writer or transfer padding (at most 16 bytes of 00/0A/0D) follows the image end";
const DATA_AFTER: &str = "bytes follow the image end and are not padding";
const FILE_AFTER: &str = "a recognised file follows the image end";
const HIDDEN_INSIDE: &str = "a structure inside the image holds a foreign file";
const TRUNCATED: &str = "the image is truncated; nothing follows it";
const FILE_AT_BREAK: &str = "the image breaks off where a recognised file begins";
const CORRUPT_FROM: &str =
    "the image structure breaks here; the bytes from here on are not part of it";
const WHOLE_TS: &str = "the object is an MPEG transport stream with no image part";
const UNSUPPORTED: &str = "the object is neither a supported image nor a transport stream";

/// Junk tolerated before the first packet of an object that is a TS stream.
const STREAM: Search = Search {
    max_junk: 4096,
    min_packets: 1,
};

/// Judges the object whose leading image was walked.
pub(crate) fn judge(data: &[u8], pic_type: PicType, walk: Walk) -> Report {
    let report = match walk.outcome {
        Outcome::Complete { end, rule } => after_end(data, end, rule),
        Outcome::Broken { at, cause } => after_break(data, at, cause),
    };
    let report = Report { pic_type, ..report };
    let report = with_declaration(data, report, walk.declared);
    with_hidden(report, walk.hidden)
}

/// Judges an object that does not start with a supported image.
pub(crate) fn without_image(data: &[u8]) -> Report {
    let stream = ts::find(data, STREAM).map(|_| appended(data, 0, PayloadType::MpegTs));
    let suspicious = stream.map(|found| Suspicious {
        place: Place::WholeObject,
        ..found
    });
    Report {
        pic_size: data.len() as u64,
        pic_type: PicType::Unknown,
        suspicious,
        image_end: None,
        end_rule: EndRule::NoImage,
        reason: if suspicious.is_some() {
            WHOLE_TS
        } else {
            UNSUPPORTED
        },
        declared: None,
    }
}

fn after_end(data: &[u8], end: usize, rule: EndRule) -> Report {
    let trailer = data.get(end..).unwrap_or_default();
    let (suspicious, reason) = if trailer.is_empty() {
        (None, NOTHING_AFTER)
    } else if is_padding_only(trailer) {
        (None, PADDING_AFTER)
    } else {
        let kind = payload::classify_trailer(trailer);
        let reason = if kind == PayloadType::Unknown {
            DATA_AFTER
        } else {
            FILE_AFTER
        };
        (Some(appended(data, end, kind)), reason)
    };
    base(data, end, rule, suspicious, reason)
}

fn after_break(data: &[u8], at: usize, cause: Break) -> Report {
    let rest = data.get(at..).unwrap_or_default();
    let kind = payload::classify_trailer(rest);
    let rule = match cause {
        Break::Truncated => EndRule::Truncated,
        Break::Corrupt => EndRule::Corrupt,
    };
    let (suspicious, reason) = if rest.is_empty() || is_padding_only(rest) {
        (None, TRUNCATED)
    } else if kind != PayloadType::Unknown {
        (Some(appended(data, at, kind)), FILE_AT_BREAK)
    } else if cause == Break::Corrupt {
        (Some(appended(data, at, kind)), CORRUPT_FROM)
    } else {
        // A structure that runs past the end holds the rest: it is part of a cut-off image.
        (None, TRUNCATED)
    };
    base(data, at, rule, suspicious, reason)
}

fn base(
    data: &[u8],
    end: usize,
    rule: EndRule,
    found: Option<Suspicious>,
    reason: &'static str,
) -> Report {
    Report {
        pic_size: data.len() as u64,
        pic_type: PicType::Unknown,
        suspicious: found,
        image_end: Some(end.min(data.len()) as u64),
        end_rule: rule,
        reason,
        declared: None,
    }
}

fn is_padding_only(trailer: &[u8]) -> bool {
    trailer.len() <= MAX_PADDING && trailer.iter().all(|&b| is_padding(b))
}

/// Everything from `begin` to the end of the object.
fn appended(data: &[u8], begin: usize, kind: PayloadType) -> Suspicious {
    let end = data.len().saturating_sub(1);
    Suspicious {
        begin: begin as u64,
        end: end as u64,
        size: (end + 1 - begin) as u64,
        kind,
        place: Place::Appended,
    }
}

/// Names the metadata that announces an appended trailer, so users can decide.
fn with_declaration(data: &[u8], report: Report, declared: Option<Declared>) -> Report {
    if report.suspicious.is_none() {
        return report;
    }
    let samsung = has(data, data.len().saturating_sub(4), b"SEFT").then_some(Declared::SamsungSef);
    Report {
        declared: declared.or(samsung),
        ..report
    }
}

/// A payload hidden inside the image is reported when nothing was appended: the appended one
/// is what the vendor reports, and one range fits its answer.
fn with_hidden(report: Report, hidden: Option<Suspicious>) -> Report {
    match (report.suspicious, hidden) {
        (None, Some(found)) => Report {
            suspicious: Some(found),
            reason: HIDDEN_INSIDE,
            ..report
        },
        _ => report,
    }
}
