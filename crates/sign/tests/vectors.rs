//! The worked vectors of spec §2.6, computed by the SDK's own signer
//! (`shared/spec/cos_sign_vectors.py`), replayed through this crate: every intermediate value,
//! then `verify` on the request as a server receives it, then the ways it must fail.

use bucketflow_sign::{
    AuthString, CLOCK_SKEW_SECS, SignError, enc, http_string, parse_authorization, parse_presigned,
    sign_key, signature, string_to_sign, verify,
};
use percent_encoding::percent_decode_str;

const AK: &str = "AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE12";
const SK: &str = "SKEXAMPLEEXAMPLEEXAMPLEEXAMPLE12";
const HOST: &str = "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com";
const NOW: u64 = 1_700_000_000;
const KEY_TIME: &str = "1699999940;1700010000";
const SIGN_KEY: &str = "798db2aba5f9ecded2dc39d2c9f32c8eb0e89201";

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A query string as `requests` sends it, decoded the way a server must: split on `&` and
/// the first `=`, then `+` → space and `%XX` → byte.
fn form_decode(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .unwrap()
            .into_owned()
    };
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn authorization(key_time: &str, headers: &str, params: &str, sig: &str) -> String {
    format!(
        "q-sign-algorithm=sha1&q-ak={AK}&q-sign-time={key_time}&q-key-time={key_time}\
         &q-header-list={headers}&q-url-param-list={params}&q-signature={sig}"
    )
}

/// Headers the SDK sends but does not sign; `verify` must ignore them.
fn with_unsigned_extras(mut headers: Vec<(String, String)>) -> Vec<(String, String)> {
    headers.extend(pairs(&[
        ("User-Agent", "cos-python-sdk-v5.1.9.44"),
        ("Accept-Encoding", "gzip, deflate"),
        ("Accept", "*/*"),
        ("Connection", "keep-alive"),
    ]));
    headers
}

// ---------------------------------------------------------------------------------------------
// V1: PUT object

const V1_PATH: &str = "/dir/hello world+中文.txt";
const V1_SIG: &str = "280b54619a71761187c594b509a5a8a438e9b02b";
const V1_HEADER_LIST: &str =
    "content-length;content-md5;content-type;host;x-cos-acl;x-cos-meta-author";

fn v1_headers() -> Vec<(String, String)> {
    pairs(&[
        ("Host", HOST),
        ("Content-Type", "text/plain"),
        ("x-cos-meta-author", "alice"),
        ("Content-MD5", "UfRZzlI9V4cclKIy1UsodQ=="),
        ("x-cos-acl", "public-read"),
        ("Content-Length", "9"),
    ])
}

fn v1_auth() -> AuthString {
    parse_authorization(&authorization(KEY_TIME, V1_HEADER_LIST, "", V1_SIG)).unwrap()
}

fn verify_v1(headers: &[(String, String)], now: u64) -> Result<(), SignError> {
    verify(&v1_auth(), SK, "PUT", V1_PATH, &[], headers, now)
}

#[test]
fn v1_put_object_intermediate_values() {
    assert_eq!(sign_key(SK, KEY_TIME), SIGN_KEY);
    let http = http_string("PUT", V1_PATH, &[], &v1_headers());
    assert_eq!(
        http,
        "put\n/dir/hello world+中文.txt\n\ncontent-length=9&content-md5=UfRZzlI9V4cclKIy1UsodQ%3D%3D\
         &content-type=text%2Fplain&host=examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com\
         &x-cos-acl=public-read&x-cos-meta-author=alice\n"
    );
    assert_eq!(
        string_to_sign(KEY_TIME, &http),
        "sha1\n1699999940;1700010000\n53f1fa4b794fb1db9694463f29eabca8ec1dd02d\n"
    );
    assert_eq!(
        signature(SK, KEY_TIME, "PUT", V1_PATH, &[], &v1_headers()),
        V1_SIG
    );
}

#[test]
fn v1_put_object_verifies_with_unsigned_headers_present() {
    assert_eq!(verify_v1(&with_unsigned_extras(v1_headers()), NOW), Ok(()));
}

#[test]
fn v1_header_names_match_case_insensitively() {
    let shouted: Vec<_> = v1_headers()
        .into_iter()
        .map(|(k, v)| (k.to_ascii_uppercase(), v))
        .collect();
    assert_eq!(verify_v1(&shouted, NOW), Ok(()));
}

#[test]
fn v1_changed_value_byte_is_a_mismatch() {
    let mut headers = v1_headers();
    headers[2].1 = "alicf".to_owned();
    assert_eq!(verify_v1(&headers, NOW), Err(SignError::Mismatch));
}

#[test]
fn v1_changed_path_byte_is_a_mismatch() {
    let got = verify(
        &v1_auth(),
        SK,
        "PUT",
        "/dir/hello world+中文.txT",
        &[],
        &v1_headers(),
        NOW,
    );
    assert_eq!(got, Err(SignError::Mismatch));
}

#[test]
fn v1_wrong_secret_key_is_a_mismatch() {
    let got = verify(
        &v1_auth(),
        "SKWRONG",
        "PUT",
        V1_PATH,
        &[],
        &v1_headers(),
        NOW,
    );
    assert_eq!(got, Err(SignError::Mismatch));
}

#[test]
fn v1_missing_listed_header_is_reported_by_name() {
    let headers: Vec<_> = v1_headers()
        .into_iter()
        .filter(|(k, _)| k != "Content-MD5")
        .collect();
    assert_eq!(
        verify_v1(&headers, NOW),
        Err(SignError::MissingHeader("content-md5".into()))
    );
}

#[test]
fn v1_expired_after_window_and_skew() {
    let end = 1_700_010_000;
    assert_eq!(verify_v1(&v1_headers(), end + CLOCK_SKEW_SECS), Ok(()));
    assert_eq!(
        verify_v1(&v1_headers(), end + CLOCK_SKEW_SECS + 1),
        Err(SignError::Expired)
    );
}

#[test]
fn v1_not_valid_before_window_and_skew() {
    let start = 1_699_999_940;
    assert_eq!(verify_v1(&v1_headers(), start - CLOCK_SKEW_SECS), Ok(()));
    assert_eq!(
        verify_v1(&v1_headers(), start - CLOCK_SKEW_SECS - 1),
        Err(SignError::NotYetValid)
    );
}

#[test]
fn v1_signed_for_put_does_not_verify_as_get() {
    let got = verify(&v1_auth(), SK, "GET", V1_PATH, &[], &v1_headers(), NOW);
    assert_eq!(got, Err(SignError::Mismatch));
}

// ---------------------------------------------------------------------------------------------
// V2: GET bucket (list_objects): form-encoded query, space sent as `+` but signed as `%20`

const V2_QUERY: &str =
    "prefix=dir%2Fhello+world&delimiter=%2F&marker=&max-keys=1000&encoding-type=url";
const V2_SIG: &str = "8ba10840a6cb073df1d74368d43e0354dc9aa8cd";
const V2_PARAM_LIST: &str = "delimiter;encoding-type;marker;max-keys;prefix";

fn v2_auth() -> AuthString {
    parse_authorization(&authorization(KEY_TIME, "host", V2_PARAM_LIST, V2_SIG)).unwrap()
}

#[test]
fn v2_list_objects_intermediate_values() {
    let params = form_decode(V2_QUERY);
    let http = http_string("GET", "/", &params, &pairs(&[("Host", HOST)]));
    assert_eq!(
        http,
        "get\n/\ndelimiter=%2F&encoding-type=url&marker=&max-keys=1000&prefix=dir%2Fhello%20world\n\
         host=examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com\n"
    );
    assert!(
        string_to_sign(KEY_TIME, &http).contains("\n8bc0382596b26a676b8b03e419879da6734d8554\n")
    );
    assert_eq!(
        signature(SK, KEY_TIME, "GET", "/", &params, &pairs(&[("Host", HOST)])),
        V2_SIG
    );
}

#[test]
fn v2_list_objects_verifies_from_the_wire_query() {
    let headers = with_unsigned_extras(pairs(&[("Host", HOST)]));
    let got = verify(
        &v2_auth(),
        SK,
        "GET",
        "/",
        &form_decode(V2_QUERY),
        &headers,
        NOW,
    );
    assert_eq!(got, Ok(()));
}

#[test]
fn v2_unlisted_query_parameter_is_ignored() {
    let mut query = form_decode(V2_QUERY);
    query.push(("response-cache-control".into(), "no-cache".into()));
    let got = verify(
        &v2_auth(),
        SK,
        "GET",
        "/",
        &query,
        &pairs(&[("Host", HOST)]),
        NOW,
    );
    assert_eq!(got, Ok(()));
}

#[test]
fn v2_missing_listed_parameter_is_reported_by_name() {
    let query: Vec<_> = form_decode(V2_QUERY)
        .into_iter()
        .filter(|(k, _)| k != "marker")
        .collect();
    let got = verify(
        &v2_auth(),
        SK,
        "GET",
        "/",
        &query,
        &pairs(&[("Host", HOST)]),
        NOW,
    );
    assert_eq!(got, Err(SignError::MissingParam("marker".into())));
}

#[test]
fn v2_changed_parameter_value_is_a_mismatch() {
    let query = form_decode(&V2_QUERY.replace("max-keys=1000", "max-keys=1001"));
    let got = verify(
        &v2_auth(),
        SK,
        "GET",
        "/",
        &query,
        &pairs(&[("Host", HOST)]),
        NOW,
    );
    assert_eq!(got, Err(SignError::Mismatch));
}

// ---------------------------------------------------------------------------------------------
// V3: upload part: parameter names lower-cased for signing, values not

const V3_SIG: &str = "122622e613ecd61d674a82a80f79bd56d17eb940";

fn v3_headers() -> Vec<(String, String)> {
    pairs(&[("Host", HOST), ("Content-Length", "16")])
}

#[test]
fn v3_upload_part_intermediate_values() {
    let params = form_decode("partNumber=2&uploadId=1700000000abcdef");
    let http = http_string("PUT", "/big/file.bin", &params, &v3_headers());
    assert_eq!(
        http,
        "put\n/big/file.bin\npartnumber=2&uploadid=1700000000abcdef\n\
         content-length=16&host=examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com\n"
    );
    assert!(
        string_to_sign(KEY_TIME, &http).contains("\n913119e47327442903b068f88d40d596fe400a68\n")
    );
    assert_eq!(
        signature(SK, KEY_TIME, "PUT", "/big/file.bin", &params, &v3_headers()),
        V3_SIG
    );
}

#[test]
fn v3_upload_part_verifies_with_mixed_case_parameter_names() {
    let auth = authorization(
        KEY_TIME,
        "content-length;host",
        "partnumber;uploadid",
        V3_SIG,
    );
    let auth = parse_authorization(&auth).unwrap();
    let query = form_decode("partNumber=2&uploadId=1700000000abcdef");
    let got = verify(
        &auth,
        SK,
        "PUT",
        "/big/file.bin",
        &query,
        &v3_headers(),
        NOW,
    );
    assert_eq!(got, Ok(()));
}

// ---------------------------------------------------------------------------------------------
// V4: HEAD bucket

const V4_SIG: &str = "1d6898489a7a990c657ac876bde9b179a0031e52";

#[test]
fn v4_head_bucket_intermediate_values() {
    let headers = pairs(&[("Host", HOST)]);
    let http = http_string("HEAD", "/", &[], &headers);
    assert_eq!(http, format!("head\n/\n\nhost={HOST}\n"));
    assert!(
        string_to_sign(KEY_TIME, &http).contains("\n6095ffea3fdcc1f646cc4d31e3543bcc87d09934\n")
    );
    assert_eq!(signature(SK, KEY_TIME, "HEAD", "/", &[], &headers), V4_SIG);
}

#[test]
fn v4_head_bucket_verifies_when_the_wire_host_carries_a_port() {
    // Mode B: the SDK signs `urlparse(url).hostname` while the wire says `host:port`.
    let auth = parse_authorization(&authorization(KEY_TIME, "host", "", V4_SIG)).unwrap();
    let headers = pairs(&[("host", &format!("{HOST}:9000"))]);
    assert_eq!(verify(&auth, SK, "HEAD", "/", &[], &headers, NOW), Ok(()));
}

// ---------------------------------------------------------------------------------------------
// V5: GET with Range and a temporary token

const V5_SIG: &str = "3abcbba22d58ee1391a1ec7fa5f9f7f9bb357370";

fn v5_headers() -> Vec<(String, String)> {
    pairs(&[
        ("Host", HOST),
        ("Range", "bytes=0-4"),
        ("x-cos-security-token", "TOKEN123"),
    ])
}

#[test]
fn v5_range_and_token_intermediate_values() {
    let http = http_string("GET", "/a.txt", &[], &v5_headers());
    assert_eq!(
        http,
        format!("get\n/a.txt\n\nhost={HOST}&range=bytes%3D0-4&x-cos-security-token=TOKEN123\n")
    );
    assert!(
        string_to_sign(KEY_TIME, &http).contains("\n6857082b97ba854183996fcac704ab886dd90868\n")
    );
    assert_eq!(
        signature(SK, KEY_TIME, "GET", "/a.txt", &[], &v5_headers()),
        V5_SIG
    );
}

#[test]
fn v5_range_and_token_verify() {
    let list = "host;range;x-cos-security-token";
    let auth = parse_authorization(&authorization(KEY_TIME, list, "", V5_SIG)).unwrap();
    let got = verify(
        &auth,
        SK,
        "GET",
        "/a.txt",
        &[],
        &with_unsigned_extras(v5_headers()),
        NOW,
    );
    assert_eq!(got, Ok(()));
}

// ---------------------------------------------------------------------------------------------
// V6: presigned GET

const V6_KEY_TIME: &str = "1699999940;1700000600";
const V6_SIG: &str = "96571f6849d232e5ca1d2e04ebcd22b8a3b282cd";
const V6_QUERY: &str = "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE12\
    &q-sign-time=1699999940%3B1700000600&q-key-time=1699999940%3B1700000600&q-header-list=host\
    &q-url-param-list=response-content-type&q-signature=96571f6849d232e5ca1d2e04ebcd22b8a3b282cd\
    &response-content-type=text%2Fplain";

#[test]
fn v6_presigned_intermediate_values() {
    assert_eq!(
        sign_key(SK, V6_KEY_TIME),
        "2792f2ae44844d5e296ca2d9ecd1c7baa5bfbd91"
    );
    let params = pairs(&[("response-content-type", "text/plain")]);
    let headers = pairs(&[("host", HOST)]);
    let http = http_string("GET", "/dir/a b.txt", &params, &headers);
    assert_eq!(
        http,
        format!("get\n/dir/a b.txt\nresponse-content-type=text%2Fplain\nhost={HOST}\n")
    );
    assert!(
        string_to_sign(V6_KEY_TIME, &http).contains("\n116267435e012079bdfd4d99d1f48bd770759411\n")
    );
    assert_eq!(
        signature(SK, V6_KEY_TIME, "GET", "/dir/a b.txt", &params, &headers),
        V6_SIG
    );
}

#[test]
fn v6_presigned_query_parses() {
    let auth = parse_presigned(&form_decode(V6_QUERY)).unwrap().unwrap();
    assert_eq!(auth.ak, AK);
    assert_eq!(auth.sign_time, (1_699_999_940, 1_700_000_600));
    assert_eq!(auth.key_time_raw, V6_KEY_TIME);
    assert_eq!(auth.header_list, ["host"]);
    assert_eq!(auth.param_list, ["response-content-type"]);
    assert_eq!(auth.signature, V6_SIG);
}

#[test]
fn v6_presigned_url_verifies_as_fetched_with_a_port() {
    let query = form_decode(V6_QUERY);
    let auth = parse_presigned(&query).unwrap().unwrap();
    let headers = pairs(&[("Host", &format!("{HOST}:9000")), ("User-Agent", "curl/8")]);
    assert_eq!(
        verify(&auth, SK, "GET", "/dir/a b.txt", &query, &headers, NOW),
        Ok(())
    );
}

#[test]
fn v6_presigned_url_expires_after_600_seconds() {
    let query = form_decode(V6_QUERY);
    let auth = parse_presigned(&query).unwrap().unwrap();
    let headers = pairs(&[("Host", HOST)]);
    let late = 1_700_000_600 + CLOCK_SKEW_SECS + 1;
    let got = verify(&auth, SK, "GET", "/dir/a b.txt", &query, &headers, late);
    assert_eq!(got, Err(SignError::Expired));
}

#[test]
fn v6_presigned_url_does_not_work_for_put() {
    let query = form_decode(V6_QUERY);
    let auth = parse_presigned(&query).unwrap().unwrap();
    let headers = pairs(&[("Host", HOST)]);
    let got = verify(&auth, SK, "PUT", "/dir/a b.txt", &query, &headers, NOW);
    assert_eq!(got, Err(SignError::Mismatch));
}

#[test]
fn v6_presigned_query_with_a_missing_piece_is_malformed() {
    let query: Vec<_> = form_decode(V6_QUERY)
        .into_iter()
        .filter(|(k, _)| k != "q-key-time")
        .collect();
    assert_eq!(
        parse_presigned(&query),
        Some(Err(SignError::Malformed("q-key-time")))
    );
}

#[test]
fn enc_matches_the_sdk_quoting() {
    assert_eq!(
        enc("UfRZzlI9V4cclKIy1UsodQ=="),
        "UfRZzlI9V4cclKIy1UsodQ%3D%3D"
    );
    assert_eq!(enc("dir/hello world"), "dir%2Fhello%20world");
}
