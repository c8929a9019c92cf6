//! PNG and APNG: the signature, then CRC-checked chunks up to IEND.

use crate::bytes::{array, be32, has, slice};
use crate::crc::crc32;
use crate::embedded;
use crate::report::EndRule;
use crate::walk::{Break, Walk};

pub(crate) const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Chunk lengths are limited to 2^31 - 1 by the format.
const MAX_CHUNK: u32 = 0x7FFF_FFFF;

/// Chunks whose data is image content, never metadata: nothing to look for in them.
const IMAGE_CHUNKS: [&[u8; 4]; 5] = [b"IHDR", b"PLTE", b"IDAT", b"IEND", b"fdAT"];

struct Chunk<'a> {
    kind: [u8; 4],
    data: &'a [u8],
    /// Offset of the first byte after the chunk's CRC.
    end: usize,
}

pub(crate) fn walk(data: &[u8]) -> Option<Walk> {
    if !has(data, 0, &SIGNATURE) || !has(data, 12, b"IHDR") {
        return None;
    }
    let mut hidden = None;
    let mut at = SIGNATURE.len();
    let mut walk = loop {
        let chunk = match read_chunk(data, at) {
            Ok(chunk) => chunk,
            Err(cause) => break Walk::broken(at, cause),
        };
        if hidden.is_none() && !IMAGE_CHUNKS.contains(&&chunk.kind) {
            hidden = embedded::scan(chunk.data, at + 8);
        }
        at = chunk.end;
        if &chunk.kind == b"IEND" {
            break Walk::complete(at, EndRule::PngIend);
        }
    };
    walk.hidden = hidden;
    Some(walk)
}

fn read_chunk(data: &[u8], at: usize) -> Result<Chunk<'_>, Break> {
    let len = be32(data, at).ok_or(Break::Truncated)?;
    let kind: [u8; 4] = array(data, at + 4).ok_or(Break::Truncated)?;
    // Checked before the length, so that foreign bytes read as a chunk are garbage, not a
    // chunk that runs past the end.
    if !kind.iter().all(u8::is_ascii_alphabetic) || len > MAX_CHUNK {
        return Err(Break::Corrupt);
    }
    let len = len as usize;
    let body = slice(data, at + 8, len).ok_or(Break::Truncated)?;
    let stored_crc = be32(data, at + 8 + len).ok_or(Break::Truncated)?;
    if crc32(&[&kind, body]) != stored_crc {
        return Err(Break::Corrupt);
    }
    Ok(Chunk {
        kind,
        data: body,
        end: at + 12 + len,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::walk::Outcome;

    pub(crate) fn chunk(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = (body.len() as u32).to_be_bytes().to_vec();
        out.extend(kind);
        out.extend(body);
        out.extend(crc32(&[kind, body]).to_be_bytes());
        out
    }

    pub(crate) fn tiny_png(extra: &[Vec<u8>]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
        extra.iter().for_each(|c| out.extend(c));
        out.extend(chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0, 0, 0, 1, 0, 1]));
        out.extend(chunk(b"IEND", b""));
        out
    }

    #[test]
    fn ends_after_iend() {
        let png = tiny_png(&[]);
        let walk = walk(&png).map(|w| w.outcome);
        assert_eq!(
            walk,
            Some(Outcome::Complete {
                end: png.len(),
                rule: EndRule::PngIend
            })
        );
    }

    #[test]
    fn bad_crc_is_corrupt() {
        let mut png = tiny_png(&[]);
        let idat_crc = png.len() - 13;
        png[idat_crc] ^= 1;
        let outcome = walk(&png).map(|w| w.outcome);
        assert!(matches!(
            outcome,
            Some(Outcome::Broken {
                cause: Break::Corrupt,
                ..
            })
        ));
    }

    #[test]
    fn private_chunk_with_a_ts_lattice() {
        let mut ts = vec![0u8; 188 * 3];
        (0..3).for_each(|k| {
            ts[k * 188] = 0x47;
            ts[k * 188 + 3] = 0x10;
        });
        let png = tiny_png(&[chunk(b"prVt", &ts)]);
        let hidden = walk(&png).and_then(|w| w.hidden).map(|s| (s.begin, s.size));
        assert_eq!(hidden, Some((33 + 8, 188 * 3)));
    }

    #[test]
    fn missing_iend_is_truncated() {
        let png = tiny_png(&[]);
        let cut = &png[..png.len() - 12];
        let outcome = walk(cut).map(|w| w.outcome);
        let expected = Outcome::Broken {
            at: cut.len(),
            cause: Break::Truncated,
        };
        assert_eq!(outcome, Some(expected));
    }
}
