//! Which uploads start a workflow: `ObjectPrefix` and `ExtFilter` (spec §3.2, §3.4).

use super::model::{ExtFilter, Workflow};

/// Suffixes `ExtFilter.Image` accepts (compared case-insensitively):
/// jpg, jpeg, jpe, jfif, png, apng, gif, bmp, dib, webp, tif, tiff, heic, heif, avif, svg, ico,
/// psd, tga, jp2, jxl.
pub const IMAGE_SUFFIXES: &[&str] = &[
    "jpg", "jpeg", "jpe", "jfif", "png", "apng", "gif", "bmp", "dib", "webp", "tif", "tiff",
    "heic", "heif", "avif", "svg", "ico", "psd", "tga", "jp2", "jxl",
];

/// Suffixes `ExtFilter.Video` accepts (compared case-insensitively):
/// mp4, m4v, mov, qt, avi, mkv, flv, f4v, wmv, asf, webm, mpg, mpeg, mpe, m2v, ts, mts, m2ts,
/// 3gp, 3g2, vob, ogv, rm, rmvb, dv, mxf, divx.
pub const VIDEO_SUFFIXES: &[&str] = &[
    "mp4", "m4v", "mov", "qt", "avi", "mkv", "flv", "f4v", "wmv", "asf", "webm", "mpg", "mpeg",
    "mpe", "m2v", "ts", "mts", "m2ts", "3gp", "3g2", "vob", "ogv", "rm", "rmvb", "dv", "mxf",
    "divx",
];

/// Suffixes `ExtFilter.Audio` accepts (compared case-insensitively):
/// mp3, wav, flac, aac, m4a, ogg, oga, opus, wma, amr, ape, aiff, aif, mid, midi, ac3, mka, au.
pub const AUDIO_SUFFIXES: &[&str] = &[
    "mp3", "wav", "flac", "aac", "m4a", "ogg", "oga", "opus", "wma", "amr", "ape", "aiff", "aif",
    "mid", "midi", "ac3", "mka", "au",
];

/// The kind of media an upload is, for the Video/Audio/Image switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaKind {
    Video,
    Audio,
    Image,
}

impl Workflow {
    /// Whether an upload of `key` with Content-Type `content_type` starts this workflow.
    ///
    /// * `ObjectPrefix`: the key must start with it; a leading `/` is ignored on both sides, so
    ///   `/` (or an empty prefix after stripping) matches every key.
    /// * `ExtFilter`: see [`ExtFilter::accepts`]; no filter, or one with `State` `Off`, lets
    ///   every key through.
    ///
    /// The workflow's `State` is not considered here: the caller decides whether a paused
    /// workflow may run.
    pub fn matches(&self, key: &str, content_type: &str) -> bool {
        let input = self.input();
        prefix_matches(&input.object_prefix, key)
            && input
                .ext_filter
                .as_ref()
                .is_none_or(|f| f.accepts(key, content_type))
    }
}

impl ExtFilter {
    /// Whether the filter lets an upload through.
    ///
    /// * `State` `Off` (the default) → every upload.
    /// * `AllFile` `true` → every upload.
    /// * Otherwise the switches are an allow-list, and the upload passes when any switched-on
    ///   one accepts it; with nothing switched on, nothing passes:
    ///   * `Video` / `Audio` / `Image` accept keys whose suffix is in [`VIDEO_SUFFIXES`] /
    ///     [`AUDIO_SUFFIXES`] / [`IMAGE_SUFFIXES`];
    ///   * with `ContentType` `true`, those three judge the upload by its Content-Type instead
    ///     (`video/*`, `audio/*`, `image/*`, parameters and case ignored). When the
    ///     Content-Type says nothing (absent, `application/octet-stream` or
    ///     `binary/octet-stream`) the suffix decides. `ContentType` alone accepts nothing;
    ///   * `Custom` accepts keys whose suffix is in `CustomExts`, always by suffix.
    ///
    /// A key's suffix is the text after the last `.` of its last `/`-separated segment,
    /// compared case-insensitively; a key without one has no suffix.
    pub fn accepts(&self, key: &str, content_type: &str) -> bool {
        if !self.enabled || self.all_file {
            return true;
        }
        let suffix = suffix_of(key);
        if self.custom
            && suffix
                .as_ref()
                .is_some_and(|s| self.custom_exts.contains(s))
        {
            return true;
        }
        match self.media_kind(suffix.as_deref(), content_type) {
            Some(MediaKind::Video) => self.video,
            Some(MediaKind::Audio) => self.audio,
            Some(MediaKind::Image) => self.image,
            None => false,
        }
    }

    fn media_kind(&self, suffix: Option<&str>, content_type: &str) -> Option<MediaKind> {
        let by_suffix = || suffix.and_then(kind_of_suffix);
        if !self.content_type {
            return by_suffix();
        }
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match media_type.split('/').next().unwrap_or_default() {
            "video" => Some(MediaKind::Video),
            "audio" => Some(MediaKind::Audio),
            "image" => Some(MediaKind::Image),
            _ if is_generic_content_type(&media_type) => by_suffix(),
            _ => None,
        }
    }
}

fn prefix_matches(prefix: &str, key: &str) -> bool {
    key.trim_start_matches('/')
        .starts_with(prefix.trim_start_matches('/'))
}

/// The lower-cased suffix of a key's last segment, if it has one.
fn suffix_of(key: &str) -> Option<String> {
    let file = key.rsplit('/').next().unwrap_or_default();
    let (_, suffix) = file.rsplit_once('.')?;
    (!suffix.is_empty()).then(|| suffix.to_lowercase())
}

fn kind_of_suffix(suffix: &str) -> Option<MediaKind> {
    if VIDEO_SUFFIXES.contains(&suffix) {
        Some(MediaKind::Video)
    } else if AUDIO_SUFFIXES.contains(&suffix) {
        Some(MediaKind::Audio)
    } else if IMAGE_SUFFIXES.contains(&suffix) {
        Some(MediaKind::Image)
    } else {
        None
    }
}

fn is_generic_content_type(media_type: &str) -> bool {
    matches!(
        media_type,
        "" | "application/octet-stream" | "binary/octet-stream"
    )
}
