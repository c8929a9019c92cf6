use hmac::Mac;

use crate::auth::parse_time_range;
use crate::encode::{canonical_name, enc};
use crate::signer::{canonical_http_string, signature_mac};
use crate::{AuthString, SignError};

/// Clock skew tolerated on either edge of the validity window, in seconds.
///
/// The Python SDK already starts its window 60 s in the past, so this only has to absorb a
/// server clock that runs a little behind or ahead of the client's.
pub const CLOCK_SKEW_SECS: u64 = 60;

/// Verify a request against its auth string (spec §2.3, steps 3 to 6).
///
/// - `query`: every query pair of the request, form-decoded (`+` is a space). Only the pairs
///   named in `q-url-param-list` are signed; the others are ignored.
/// - `headers`: every request header as `(name, value)`; names match case-insensitively.
///   Only the headers named in `q-header-list` are signed; the others are ignored.
/// - `host` is special: the SDK may sign it without the port while the wire carries
///   `host:port`, so on a mismatch the signature is tried again with the port removed (and
///   the host lower-cased, as `urlparse().hostname` does).
/// - `now` must lie in both `q-sign-time` and `q-key-time`, give or take [`CLOCK_SKEW_SECS`].
///
/// The signature comparison is constant-time.
pub fn verify(
    auth: &AuthString,
    secret_key: &str,
    method: &str,
    decoded_path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    now: u64,
) -> Result<(), SignError> {
    check_window(auth, now)?;
    let expected =
        hex::decode(&auth.signature).map_err(|_| SignError::Malformed("q-signature is not hex"))?;
    let params = listed_params(&auth.param_list, query)?;
    let mut signed_headers = listed_headers(&auth.header_list, headers)?;

    let matches = |signed_headers: &[(String, String)]| {
        let http = canonical_http_string(method, decoded_path, &params, signed_headers);
        signature_mac(secret_key, &auth.key_time_raw, &http)
            .verify_slice(&expected)
            .is_ok()
    };
    if matches(&signed_headers) {
        return Ok(());
    }

    // Retry with the host as the SDK signs it when it did not set `Host` itself.
    let host = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("host"));
    let signed_host = signed_headers.iter_mut().find(|(name, _)| name == "host");
    if let (Some((_, received)), Some((_, signed))) = (host, signed_host) {
        let bare = enc(&host_without_port(received).to_ascii_lowercase());
        if bare != *signed {
            *signed = bare;
            if matches(&signed_headers) {
                return Ok(());
            }
        }
    }
    Err(SignError::Mismatch)
}

fn check_window(auth: &AuthString, now: u64) -> Result<(), SignError> {
    let key_time = parse_time_range(&auth.key_time_raw)
        .ok_or(SignError::Malformed("q-key-time is not `start;end`"))?;
    for (start, end) in [auth.sign_time, key_time] {
        if now > end.saturating_add(CLOCK_SKEW_SECS) {
            return Err(SignError::Expired);
        }
        if now.saturating_add(CLOCK_SKEW_SECS) < start {
            return Err(SignError::NotYetValid);
        }
    }
    Ok(())
}

/// `(listed name, encoded value)` for every name in `q-url-param-list`.
fn listed_params(
    list: &[String],
    query: &[(String, String)],
) -> Result<Vec<(String, String)>, SignError> {
    list.iter()
        .map(|listed| {
            let (_, value) = query
                .iter()
                .find(|(name, _)| canonical_name(name) == *listed)
                .ok_or_else(|| SignError::MissingParam(listed.clone()))?;
            Ok((listed.clone(), enc(value)))
        })
        .collect()
}

/// `(listed name, encoded value)` for every name in `q-header-list`.
fn listed_headers(
    list: &[String],
    headers: &[(String, String)],
) -> Result<Vec<(String, String)>, SignError> {
    list.iter()
        .map(|listed| {
            let (_, value) = headers
                .iter()
                .find(|(name, _)| canonical_name(name) == *listed)
                .ok_or_else(|| SignError::MissingHeader(listed.clone()))?;
            Ok((listed.clone(), enc(value)))
        })
        .collect()
}

/// `example.com:9000` → `example.com`, `[::1]:9000` → `[::1]`; other values are unchanged.
fn host_without_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.split_once(':') {
        Some((name, port)) if !port.contains(':') => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::host_without_port;

    #[test]
    fn strips_the_port_from_names_and_ipv6_literals() {
        assert_eq!(
            host_without_port("b-1.cos.local.test:9000"),
            "b-1.cos.local.test"
        );
        assert_eq!(host_without_port("127.0.0.1"), "127.0.0.1");
        assert_eq!(host_without_port("[::1]:9000"), "[::1]");
        assert_eq!(host_without_port("::1"), "::1");
    }
}
