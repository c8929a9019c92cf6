//! Maps a request's Host, path and query to a bucket, a key and an operation.

use crate::error::{ApiError, ApiResult};

/// Which API family a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Cos,
    Ci,
}

/// Where a request points: the service, a bucket, or an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub family: Family,
    pub bucket: Option<String>,
    /// The decoded object key; empty for bucket-level and service requests.
    pub key: String,
    /// Whether the Host names the service endpoint (`service.cos.…`).
    pub service_host: bool,
}

/// `<name>-<appid>`: lower-case letters, digits and `-`, not starting or ending with `-`,
/// then `-` and a decimal APPID.
pub fn is_valid_bucket_name(name: &str) -> bool {
    let Some((base, appid)) = name.rsplit_once('-') else {
        return false;
    };
    let base_ok = !base.is_empty()
        && base.len() <= 50
        && name.len() <= 63
        && base
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !base.starts_with('-')
        && !base.ends_with('-');
    let appid_ok =
        !appid.is_empty() && appid.len() <= 20 && appid.bytes().all(|b| b.is_ascii_digit());
    base_ok && appid_ok
}

/// Whether a host label looks like a bucket (`…-<digits>`), valid or not.
fn looks_like_bucket(label: &str) -> bool {
    matches!(label.rsplit_once('-'), Some((base, appid))
        if !base.is_empty() && !appid.is_empty() && appid.bytes().all(|b| b.is_ascii_digit()))
}

/// Lower-cased host without its port.
pub fn host_without_port(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    if let Some(rest) = host.strip_prefix('[') {
        // IPv6 literal: keep the brackets' content.
        return rest.split(']').next().unwrap_or("").to_string();
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name.to_string(),
        _ => host,
    }
}

/// Resolves the target from the host (virtual-hosted style). For hosts that name no bucket
/// (an IP address, a custom domain), `GET /` is the service; otherwise the request goes to
/// `default_bucket` when one is configured (so presigned URLs signed for such a host work), or
/// else the first path segment names the bucket (path style).
pub fn resolve(host: &str, decoded_path: &str, default_bucket: Option<&str>) -> ApiResult<Target> {
    let host = host_without_port(host);
    let labels: Vec<&str> = host.split('.').collect();
    let key = decoded_path.strip_prefix('/').unwrap_or(decoded_path);
    let target = |bucket: Option<&str>, key: &str, service_host: bool| Target {
        family: Family::Cos,
        bucket: bucket.map(str::to_string),
        key: key.to_string(),
        service_host,
    };

    if labels.len() >= 2 && looks_like_bucket(labels[0]) {
        let family = if labels[1] == "ci" {
            Family::Ci
        } else {
            Family::Cos
        };
        return Ok(Target {
            family,
            ..target(Some(labels[0]), key, false)
        });
    }
    if labels.first() == Some(&"service") {
        return Ok(target(None, key, true));
    }
    if key.is_empty() && default_bucket.is_none() {
        return Ok(target(None, "", false));
    }
    if let Some(bucket) = default_bucket {
        return Ok(target(Some(bucket), key, false));
    }
    // Path style: `/<bucket>/<key>`.
    let (first, rest) = key.split_once('/').unwrap_or((key, ""));
    if looks_like_bucket(first) {
        return Ok(target(Some(first), rest, false));
    }
    Err(ApiError::InvalidURI(
        "the request names no bucket in its Host or path",
    ))
}

/// Decodes the request path as UTF-8. `+` stays a plus; `.` and `..` segments stay literal.
pub fn decode_path(raw: &str) -> ApiResult<String> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::InvalidURI("the request path is not valid UTF-8"))
}

/// Form-decodes a query string: `+` is a space, `%XX` a byte. `name` without `=` has value "".
pub fn decode_query(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| {
        form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_hosted_cos_and_ci_hosts() {
        let t = resolve(
            "demo-1250000000.cos.ap-guangzhou.myqcloud.com:9000",
            "/a b+c",
            None,
        )
        .unwrap();
        assert_eq!(t.bucket.as_deref(), Some("demo-1250000000"));
        assert_eq!(t.key, "a b+c");
        assert_eq!(t.family, Family::Cos);
        let t = resolve(
            "demo-1250000000.ci.ap-guangzhou.myqcloud.com",
            "/workflow",
            None,
        )
        .unwrap();
        assert_eq!(t.family, Family::Ci);
    }

    #[test]
    fn path_style_fallback_for_plain_hosts() {
        let t = resolve("127.0.0.1:9000", "/demo-1250000000/dir/x.txt", None).unwrap();
        assert_eq!(t.bucket.as_deref(), Some("demo-1250000000"));
        assert_eq!(t.key, "dir/x.txt");
        let t = resolve("127.0.0.1:9000", "/", None).unwrap();
        assert_eq!(t.bucket, None);
    }

    #[test]
    fn a_default_bucket_serves_hosts_that_name_none() {
        let t = resolve("127.0.0.1:9000", "/dir/x.txt", Some("demo-1250000000")).unwrap();
        assert_eq!(t.bucket.as_deref(), Some("demo-1250000000"));
        assert_eq!(t.key, "dir/x.txt");
        // Even a first segment that looks like a bucket is part of the key then.
        let t = resolve("127.0.0.1", "/other-1/x", Some("demo-1250000000")).unwrap();
        assert_eq!(t.key, "other-1/x");
        // A bucket host still wins.
        let t = resolve("b-1.cos.r.x", "/k", Some("demo-1250000000")).unwrap();
        assert_eq!(t.bucket.as_deref(), Some("b-1"));
    }

    #[test]
    fn service_host_names_no_bucket() {
        let t = resolve("service.cos.myqcloud.com", "/", None).unwrap();
        assert!(t.service_host);
        assert_eq!(t.bucket, None);
    }

    #[test]
    fn keys_are_never_normalised() {
        let t = resolve(
            "b-1.cos.r.x",
            &decode_path("/../../x//y/./z").unwrap(),
            None,
        )
        .unwrap();
        assert_eq!(t.key, "../../x//y/./z");
    }

    #[test]
    fn query_plus_is_space_and_flags_are_empty() {
        let q = decode_query(Some("prefix=a+b%2Bc&uploads&acl="));
        assert_eq!(q[0], ("prefix".into(), "a b+c".into()));
        assert_eq!(q[1], ("uploads".into(), "".into()));
        assert_eq!(q[2], ("acl".into(), "".into()));
    }

    #[test]
    fn bucket_name_rule() {
        assert!(is_valid_bucket_name("demo-1250000000"));
        assert!(is_valid_bucket_name("a-b-1"));
        assert!(!is_valid_bucket_name("Demo-1250000000"));
        assert!(!is_valid_bucket_name("-demo-1"));
        assert!(!is_valid_bucket_name("demo--1"));
        assert!(!is_valid_bucket_name("demo_x-1"));
        assert!(!is_valid_bucket_name("demo"));
    }
}
