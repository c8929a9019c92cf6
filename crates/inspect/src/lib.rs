//! ImageInspect: is another file hidden in an object that claims to be an image?
//!
//! [`inspect`] walks the container structure of the leading image (JPEG with its MPF
//! secondary images, PNG/APNG, GIF, BMP, WebP) to its true end, never searching for end
//! markers, then judges what follows: nothing or a little writer padding is innocent,
//! anything else is suspicious and typed by its signature or its MPEG-TS packet lattice.
//! Payloads hidden inside metadata structures (a private PNG chunk, a JPEG APPn or COM
//! segment, an unknown WebP chunk) are found too. An object that is a bare TS stream is
//! suspicious as a whole.
//!
//! The detector is pure: bytes in, report out. It never panics, reads only inside the input,
//! and its work is linear in the input length.
//!
//! ```
//! let report = bucketflow_inspect::inspect(b"not an image");
//! assert!(!report.supported());
//! let vendor = report.vendor();
//! assert_eq!(vendor.pic_type, "unknown");
//! ```

mod bmp;
mod bytes;
mod crc;
mod embedded;
mod gif;
mod jpeg;
mod mpf;
mod payload;
mod png;
mod report;
mod ts;
mod verdict;
mod walk;
mod webp;

pub use report::{
    Declared, EndRule, PayloadType, PicType, Place, Report, Suspicious, VendorReport,
};

use walk::Walk;

/// Inspects one whole object.
pub fn inspect(data: &[u8]) -> Report {
    match leading_image(data) {
        Some((pic_type, walk)) => verdict::judge(data, pic_type, walk),
        None => verdict::without_image(data),
    }
}

/// A format walker: `None` when `data` does not start with that format's header.
type Walker = fn(&[u8]) -> Option<Walk>;

/// The image at the start of `data`, recognised by its header and walked.
fn leading_image(data: &[u8]) -> Option<(PicType, Walk)> {
    let walkers: [(PicType, Walker); 5] = [
        (PicType::Jpeg, jpeg::walk),
        (PicType::Png, png::walk),
        (PicType::Gif, gif::walk),
        (PicType::Bmp, bmp::walk),
        (PicType::Webp, webp::walk),
    ];
    walkers
        .into_iter()
        .find_map(|(pic_type, walk)| walk(data).map(|w| (pic_type, w)))
}
