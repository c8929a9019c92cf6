//! GIF: header, logical screen, colour tables, then extensions and images made of data
//! sub-blocks, up to the trailer.

use crate::bytes::{has, u8_at};
use crate::report::EndRule;
use crate::walk::{Break, Walk};

const EXTENSION: u8 = 0x21;
const IMAGE: u8 = 0x2C;
const TRAILER: u8 = 0x3B;

const HEADER_LEN: usize = 6;
const SCREEN_LEN: usize = 7;
const DESCRIPTOR_LEN: usize = 10;

pub(crate) fn has_header(data: &[u8]) -> bool {
    has(data, 0, b"GIF87a") || has(data, 0, b"GIF89a")
}

pub(crate) fn walk(data: &[u8]) -> Option<Walk> {
    if !has_header(data) {
        return None;
    }
    let flags = u8_at(data, HEADER_LEN + 4);
    let mut at = HEADER_LEN + SCREEN_LEN + flags.map_or(0, colour_table_len);
    Some(loop {
        let step = match u8_at(data, at) {
            Some(TRAILER) => break Walk::complete(at + 1, EndRule::GifTrailer),
            Some(EXTENSION) => sub_blocks_end(data, at + 2),
            Some(IMAGE) => image_end(data, at),
            Some(_) => Err(Break::Corrupt),
            None => Err(Break::Truncated),
        };
        match step {
            Ok(next) => at = next,
            Err(cause) => break Walk::broken(at, cause),
        }
    })
}

/// Size of the colour table a packed flags byte announces (global or local: same layout).
fn colour_table_len(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 << ((flags & 0x07) + 1)
    }
}

/// End of an image: descriptor, local colour table, LZW code size, data sub-blocks.
fn image_end(data: &[u8], at: usize) -> Result<usize, Break> {
    let flags = u8_at(data, at + DESCRIPTOR_LEN - 1).ok_or(Break::Truncated)?;
    let code_size_at = at + DESCRIPTOR_LEN + colour_table_len(flags);
    sub_blocks_end(data, code_size_at + 1)
}

/// End of a chain of sub-blocks (a length byte, then that many bytes) closed by an empty one.
fn sub_blocks_end(data: &[u8], mut at: usize) -> Result<usize, Break> {
    loop {
        let len = u8_at(data, at).ok_or(Break::Truncated)?;
        at += 1 + usize::from(len);
        if len == 0 {
            return Ok(at);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::walk::Outcome;

    pub(crate) fn tiny_gif() -> Vec<u8> {
        let mut out = b"GIF89a\x01\x00\x01\x00\x80\x00\x00".to_vec();
        out.extend([0, 0, 0, 255, 255, 255]);
        out.extend(b"\x21\xF9\x04\x00\x00\x00\x00\x00");
        out.extend(b"\x2C\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00");
        out.push(TRAILER);
        out
    }

    #[test]
    fn ends_at_the_trailer() {
        let gif = tiny_gif();
        let outcome = walk(&gif).map(|w| w.outcome);
        assert_eq!(
            outcome,
            Some(Outcome::Complete {
                end: gif.len(),
                rule: EndRule::GifTrailer
            })
        );
    }

    #[test]
    fn a_trailer_byte_inside_a_sub_block_is_data() {
        let mut gif = tiny_gif();
        let trailer = gif.pop();
        gif.extend(b"\x21\xFE\x02\x3B\x3B\x00");
        gif.extend(trailer);
        let outcome = walk(&gif).map(|w| w.outcome);
        assert_eq!(
            outcome,
            Some(Outcome::Complete {
                end: gif.len(),
                rule: EndRule::GifTrailer
            })
        );
    }

    #[test]
    fn unknown_block_is_corrupt() {
        let mut gif = tiny_gif();
        let at = gif.len() - 1;
        gif[at] = 0x99;
        let outcome = walk(&gif).map(|w| w.outcome);
        assert_eq!(
            outcome,
            Some(Outcome::Broken {
                at,
                cause: Break::Corrupt
            })
        );
    }
}
