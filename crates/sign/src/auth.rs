use crate::SignError;

/// A parsed COS v5 auth string: the seven `q-*` pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthString {
    /// `q-ak`: the SecretId.
    pub ak: String,
    /// `q-sign-time` as `(start, end)`, Unix seconds.
    pub sign_time: (u64, u64),
    /// `q-key-time` exactly as sent; it is the input of the sign key and of `StringToSign`.
    pub key_time_raw: String,
    /// `q-header-list`, split on `;` (already lower-case and encoded by the signer).
    pub header_list: Vec<String>,
    /// `q-url-param-list`, split on `;` (already lower-case and encoded by the signer).
    pub param_list: Vec<String>,
    /// `q-signature`: 40 hex digits.
    pub signature: String,
}

/// Parse the value of an `Authorization` header.
///
/// Pieces are `name=value` joined by `&`; each is split on its first `=`. Unknown pieces are
/// ignored; a missing or repeated piece is [`SignError::Malformed`].
pub fn parse_authorization(value: &str) -> Result<AuthString, SignError> {
    let mut pieces = Vec::new();
    for piece in value.trim().split('&') {
        let (name, value) = piece
            .split_once('=')
            .ok_or(SignError::Malformed("auth piece without `=`"))?;
        pieces.push((name.trim(), value.trim()));
    }
    from_pieces(&pieces)
}

/// Parse the `q-*` pairs of a presigned URL. `query` holds every query pair, already
/// form-decoded. Returns `None` when there is no `q-signature`, i.e. the request is not
/// presigned; the other pairs (`response-content-type`...) are ignored.
pub fn parse_presigned(query: &[(String, String)]) -> Option<Result<AuthString, SignError>> {
    if !query.iter().any(|(name, _)| name == "q-signature") {
        return None;
    }
    let pieces: Vec<(&str, &str)> = query
        .iter()
        .filter(|(name, _)| name.starts_with("q-"))
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    Some(from_pieces(&pieces))
}

fn from_pieces(pieces: &[(&str, &str)]) -> Result<AuthString, SignError> {
    let algorithm = unique(pieces, "q-sign-algorithm")?;
    if algorithm != "sha1" {
        return Err(SignError::Malformed("q-sign-algorithm is not sha1"));
    }
    let ak = unique(pieces, "q-ak")?;
    if ak.is_empty() {
        return Err(SignError::Malformed("q-ak is empty"));
    }
    let sign_time = parse_time_range(unique(pieces, "q-sign-time")?)
        .ok_or(SignError::Malformed("q-sign-time is not `start;end`"))?;
    let key_time_raw = unique(pieces, "q-key-time")?;
    parse_time_range(key_time_raw).ok_or(SignError::Malformed("q-key-time is not `start;end`"))?;
    let signature = unique(pieces, "q-signature")?;
    if signature.len() != 40 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SignError::Malformed("q-signature is not 40 hex digits"));
    }

    Ok(AuthString {
        ak: ak.to_owned(),
        sign_time,
        key_time_raw: key_time_raw.to_owned(),
        header_list: split_list(unique(pieces, "q-header-list")?),
        param_list: split_list(unique(pieces, "q-url-param-list")?),
        signature: signature.to_ascii_lowercase(),
    })
}

/// The value of the one piece called `name`; absent or repeated is malformed.
fn unique<'a>(pieces: &[(&str, &'a str)], name: &'static str) -> Result<&'a str, SignError> {
    let mut found = pieces.iter().filter(|(n, _)| *n == name).map(|(_, v)| *v);
    match (found.next(), found.next()) {
        (Some(value), None) => Ok(value),
        (None, _) => Err(SignError::Malformed(name)),
        (Some(_), Some(_)) => Err(SignError::Malformed("a q-* piece is repeated")),
    }
}

/// `start;end` with `start <= end`.
pub(crate) fn parse_time_range(value: &str) -> Option<(u64, u64)> {
    let (start, end) = value.split_once(';')?;
    let range = (start.trim().parse().ok()?, end.trim().parse().ok()?);
    (range.0 <= range.1).then_some(range)
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(';')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1_AUTH: &str = "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE12\
        &q-sign-time=1699999940;1700010000&q-key-time=1699999940;1700010000\
        &q-header-list=content-length;content-md5;content-type;host;x-cos-acl;x-cos-meta-author\
        &q-url-param-list=&q-signature=280b54619a71761187c594b509a5a8a438e9b02b";

    #[test]
    fn parses_the_sdk_authorization_header() {
        let auth = parse_authorization(V1_AUTH).unwrap();
        assert_eq!(auth.ak, "AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE12");
        assert_eq!(auth.sign_time, (1_699_999_940, 1_700_010_000));
        assert_eq!(auth.key_time_raw, "1699999940;1700010000");
        assert_eq!(
            auth.header_list,
            [
                "content-length",
                "content-md5",
                "content-type",
                "host",
                "x-cos-acl",
                "x-cos-meta-author"
            ]
        );
        assert!(auth.param_list.is_empty());
        assert_eq!(auth.signature, "280b54619a71761187c594b509a5a8a438e9b02b");
    }

    #[test]
    fn rejects_missing_pieces() {
        let without_ak = V1_AUTH.replace("q-ak=AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE12&", "");
        assert_eq!(
            parse_authorization(&without_ak),
            Err(SignError::Malformed("q-ak"))
        );
        assert!(parse_authorization("").is_err());
        assert!(parse_authorization("Bearer abc").is_err());
    }

    #[test]
    fn rejects_other_algorithms_and_bad_times() {
        assert!(parse_authorization(&V1_AUTH.replace("=sha1&", "=sha256&")).is_err());
        let reversed = V1_AUTH.replace("q-sign-time=1699999940;1700010000", "q-sign-time=2;1");
        assert!(parse_authorization(&reversed).is_err());
        let short_sig = V1_AUTH.replace("q-signature=280b", "q-signature=");
        assert!(parse_authorization(&short_sig).is_err());
    }

    #[test]
    fn presigned_without_signature_is_not_presigned() {
        let query = vec![("prefix".to_owned(), "a".to_owned())];
        assert!(parse_presigned(&query).is_none());
    }
}
