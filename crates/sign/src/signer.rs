use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};

use crate::encode::{canonical_name, enc};

type HmacSha1 = Hmac<Sha1>;

/// `SignKey = hex(HMAC-SHA1(SecretKey, KeyTime))`.
pub fn sign_key(secret_key: &str, key_time: &str) -> String {
    hex::encode(
        hmac_sha1(secret_key.as_bytes(), key_time.as_bytes())
            .finalize()
            .into_bytes(),
    )
}

/// `lower(method) \n path \n params \n headers \n`, with `params` and `headers` given as
/// decoded `(name, value)` pairs; they are encoded, lower-cased (names only) and sorted here.
pub fn http_string(
    method: &str,
    decoded_path: &str,
    params: &[(String, String)],
    headers: &[(String, String)],
) -> String {
    canonical_http_string(
        method,
        decoded_path,
        &canonicalize(params),
        &canonicalize(headers),
    )
}

/// `sha1 \n KeyTime \n hex(SHA1(HttpString)) \n`.
pub fn string_to_sign(key_time: &str, http_string: &str) -> String {
    let digest = hex::encode(Sha1::digest(http_string.as_bytes()));
    format!("sha1\n{key_time}\n{digest}\n")
}

/// The `q-signature` the SDK would compute for these inputs (40 lower-case hex digits).
///
/// `params` and `headers` are the decoded pairs the signature covers, and only those.
pub fn signature(
    secret_key: &str,
    key_time: &str,
    method: &str,
    decoded_path: &str,
    params: &[(String, String)],
    headers: &[(String, String)],
) -> String {
    let http = http_string(method, decoded_path, params, headers);
    hex::encode(
        signature_mac(secret_key, key_time, &http)
            .finalize()
            .into_bytes(),
    )
}

/// The MAC over `StringToSign`, keyed with the hex sign key (as ASCII bytes, not decoded).
/// Returned unfinished so the verifier can compare it in constant time.
pub(crate) fn signature_mac(secret_key: &str, key_time: &str, http_string: &str) -> HmacSha1 {
    let key = sign_key(secret_key, key_time);
    hmac_sha1(
        key.as_bytes(),
        string_to_sign(key_time, http_string).as_bytes(),
    )
}

/// The signature of a POST Object form: `hex(HMAC-SHA1(SignKey, hex(SHA1(policy))))`, where
/// `policy` is the decoded JSON text of the form's `policy` field.
pub fn post_policy_signature(secret_key: &str, key_time: &str, policy: &[u8]) -> String {
    let key = sign_key(secret_key, key_time);
    let string_to_sign = hex::encode(Sha1::digest(policy));
    hex::encode(
        hmac_sha1(key.as_bytes(), string_to_sign.as_bytes())
            .finalize()
            .into_bytes(),
    )
}

/// Constant-time comparison of a hex signature with the expected one.
pub fn signatures_match(expected_hex: &str, given_hex: &str) -> bool {
    let (Ok(expected), Ok(given)) = (hex::decode(expected_hex), hex::decode(given_hex)) else {
        return false;
    };
    expected.len() == given.len()
        && expected
            .iter()
            .zip(&given)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// `(canonical name, encoded value)` pairs, in the caller's order.
fn canonicalize(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (canonical_name(k), enc(v)))
        .collect()
}

/// Like [`http_string`], but the pairs are already encoded; they are sorted here.
pub(crate) fn canonical_http_string(
    method: &str,
    decoded_path: &str,
    canonical_params: &[(String, String)],
    canonical_headers: &[(String, String)],
) -> String {
    format!(
        "{}\n{}\n{}\n{}\n",
        method.to_ascii_lowercase(),
        decoded_path,
        join_sorted(canonical_params),
        join_sorted(canonical_headers)
    )
}

fn join_sorted(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    let items: Vec<String> = sorted.iter().map(|(k, v)| format!("{k}={v}")).collect();
    items.join("&")
}

fn hmac_sha1(key: &[u8], msg: &[u8]) -> HmacSha1 {
    let mut mac = HmacSha1::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(msg);
    mac
}

#[cfg(test)]
mod post_tests {
    use super::*;

    #[test]
    fn post_signature_matches_an_independent_computation() {
        // Computed with Python's hmac and hashlib from the definition: the SignKey over the
        // key time, then HMAC-SHA1 of the policy's hex SHA1.
        let key_time = "1699999940;1700010000";
        let policy = br#"{"expiration":"2023-11-14T23:13:20.000Z","conditions":[]}"#;
        let signature = post_policy_signature("SKEXAMPLEEXAMPLEEXAMPLEEXAMPLE12", key_time, policy);
        assert_eq!(signature, "aa5602e46edda16fca05adfb90a429da6ab29cd8");
        assert!(signatures_match(&signature, &signature.to_uppercase()));
        assert!(!signatures_match(&signature, &signature[..38]));
    }
}
