//! WebP: a RIFF file. It ends at 8 + the RIFF size, and the walk of its even-padded chunks
//! must land exactly there; otherwise the image ends after the last chunk that made sense.

use crate::bytes::{array, has, le32};
use crate::embedded;
use crate::report::EndRule;
use crate::walk::{Break, Walk};

const RIFF_HEADER_LEN: usize = 12;
const CHUNK_HEADER_LEN: usize = 8;

/// Chunks whose data is image content (bitstreams, alpha, animation frames).
const IMAGE_CHUNKS: [&[u8; 4]; 4] = [b"VP8 ", b"VP8L", b"ALPH", b"ANMF"];
const FIRST_CHUNKS: [&[u8; 4]; 3] = [b"VP8 ", b"VP8L", b"VP8X"];

pub(crate) fn has_header(data: &[u8]) -> bool {
    has(data, 0, b"RIFF") && has(data, 8, b"WEBP")
}

pub(crate) fn walk(data: &[u8]) -> Option<Walk> {
    if !has_header(data) || !FIRST_CHUNKS.iter().any(|kind| has(data, 12, *kind)) {
        return None;
    }
    let riff_end = le32(data, 4)? as usize + 8;
    let mut hidden = None;
    let mut at = RIFF_HEADER_LEN;
    let mut walk = loop {
        if lands_on(at, riff_end) {
            // A missing pad byte at the very end of the object is forgiven.
            break Walk::complete(at.min(data.len()), EndRule::WebpRiffSize);
        }
        match next_chunk(data, at, riff_end) {
            Step::Next { data_at, len, next } => {
                if hidden.is_none() && !is_image_chunk(data, at) {
                    hidden = embedded::scan(&data[data_at..data_at + len], data_at);
                }
                at = next;
            }
            Step::Stop => break Walk::complete(at, EndRule::WebpChunkWalk),
            Step::Truncated => break Walk::broken(at, Break::Truncated),
        }
    };
    walk.hidden = hidden;
    Some(walk)
}

/// The walk may land on the RIFF end, or one past it when the RIFF size is odd and the writer
/// padded the last chunk anyway.
fn lands_on(at: usize, riff_end: usize) -> bool {
    at == riff_end || (riff_end % 2 == 1 && at == riff_end + 1)
}

enum Step {
    Next {
        data_at: usize,
        len: usize,
        next: usize,
    },
    /// The bytes at this offset are not a chunk inside the RIFF size.
    Stop,
    Truncated,
}

fn next_chunk(data: &[u8], at: usize, riff_end: usize) -> Step {
    if at + CHUNK_HEADER_LEN > riff_end {
        return Step::Stop;
    }
    let (Some(kind), Some(len)) = (array::<4>(data, at), le32(data, at + 4)) else {
        return Step::Truncated;
    };
    let len = len as usize;
    let data_at = at + CHUNK_HEADER_LEN;
    let data_end = data_at.saturating_add(len);
    let plausible = kind.iter().all(|&b| b.is_ascii_alphanumeric() || b == b' ');
    if !plausible || data_end > riff_end {
        return Step::Stop;
    }
    if data_end > data.len() {
        return Step::Truncated;
    }
    Step::Next {
        data_at,
        len,
        next: data_end + len % 2,
    }
}

fn is_image_chunk(data: &[u8], at: usize) -> bool {
    IMAGE_CHUNKS.iter().any(|kind| has(data, at, *kind))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::walk::Outcome;

    pub(crate) fn tiny_webp(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let mut body = b"WEBP".to_vec();
        for (kind, data) in chunks {
            body.extend(*kind);
            body.extend((data.len() as u32).to_le_bytes());
            body.extend(*data);
            if data.len() % 2 == 1 {
                body.push(0);
            }
        }
        let mut out = b"RIFF".to_vec();
        out.extend((body.len() as u32).to_le_bytes());
        out.extend(body);
        out
    }

    fn outcome(data: &[u8]) -> Option<Outcome> {
        walk(data).map(|w| w.outcome)
    }

    #[test]
    fn ends_at_the_riff_size() {
        let webp = tiny_webp(&[(b"VP8L", &[0x2F, 0, 0, 0, 0]), (b"EXIF", b"II*\0")]);
        let end = webp.len();
        assert_eq!(
            outcome(&webp),
            Some(Outcome::Complete {
                end,
                rule: EndRule::WebpRiffSize
            })
        );
    }

    #[test]
    fn an_inflated_riff_size_stops_at_the_last_chunk() {
        let mut webp = tiny_webp(&[(b"VP8L", &[0x2F, 0, 0, 0, 0, 0])]);
        let end = webp.len();
        webp.extend([0x80u8; 64]);
        let inflated = (webp.len() - 8) as u32;
        webp[4..8].copy_from_slice(&inflated.to_le_bytes());
        assert_eq!(
            outcome(&webp),
            Some(Outcome::Complete {
                end,
                rule: EndRule::WebpChunkWalk
            })
        );
    }

    #[test]
    fn hidden_payload_in_an_unknown_chunk() {
        let webp = tiny_webp(&[(b"VP8L", &[0x2F, 0, 0, 0, 0, 0]), (b"junk", b"%PDF-1.4 ")]);
        let hidden = walk(&webp)
            .and_then(|w| w.hidden)
            .map(|s| (s.begin, s.size));
        assert_eq!(hidden, Some((34, 9)));
    }
}
