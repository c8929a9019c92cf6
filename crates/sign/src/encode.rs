use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Every byte except the RFC 3986 unreserved characters `A-Z a-z 0-9 - _ . ~`.
const COS_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// COS percent-encoding of the UTF-8 bytes of `s`: only `A-Z a-z 0-9 - _ . ~` stay literal,
/// everything else becomes `%XX` with upper-case hex (`/` → `%2F`, space → `%20`).
pub fn enc(s: &str) -> String {
    utf8_percent_encode(s, COS_ENCODE_SET).to_string()
}

/// The key under which a parameter or header name enters the signature: encoded, then
/// lower-cased (lower-casing never touches the `%XX` hex, which is applied after).
pub(crate) fn canonical_name(name: &str) -> String {
    enc(name).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::enc;

    #[test]
    fn unreserved_characters_stay_literal() {
        assert_eq!(enc("AZaz09-_.~"), "AZaz09-_.~");
    }

    #[test]
    fn reserved_characters_use_upper_case_hex() {
        assert_eq!(enc("a b/c=d;e+f"), "a%20b%2Fc%3Dd%3Be%2Bf");
        assert_eq!(enc("!'()*"), "%21%27%28%29%2A");
    }

    #[test]
    fn non_ascii_is_encoded_as_utf8_bytes() {
        assert_eq!(enc("中"), "%E4%B8%AD");
    }
}
