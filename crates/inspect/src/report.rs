//! The answer of the detector: the vendor's fields plus our own explanation of them.

#[cfg(feature = "serde")]
use serde::{Serialize, Serializer};

/// Format of the leading image (the vendor's `picType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PicType {
    Jpeg,
    Png,
    Gif,
    Bmp,
    Webp,
    /// No image part: a pure stream, or an unsupported input (see [`Report::supported`]).
    Unknown,
}

impl PicType {
    /// The vendor's lower-case token.
    pub fn as_str(self) -> &'static str {
        match self {
            PicType::Jpeg => "jpeg",
            PicType::Png => "png",
            PicType::Gif => "gif",
            PicType::Bmp => "bmp",
            PicType::Webp => "webp",
            PicType::Unknown => "unknown",
        }
    }
}

/// What the suspicious bytes are (the vendor's `suspiciousType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PayloadType {
    MpegTs,
    Mp4,
    Mov,
    Mkv,
    Webm,
    Flv,
    Zip,
    SevenZip,
    Rar,
    Gzip,
    Elf,
    Pe,
    Pdf,
    Jpeg,
    Png,
    Gif,
    Bmp,
    Webp,
    Unknown,
}

impl PayloadType {
    /// The upper-case token of the spec; `MPEG-TS` is the vendor's documented value.
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadType::MpegTs => "MPEG-TS",
            PayloadType::Mp4 => "MP4",
            PayloadType::Mov => "MOV",
            PayloadType::Mkv => "MKV",
            PayloadType::Webm => "WEBM",
            PayloadType::Flv => "FLV",
            PayloadType::Zip => "ZIP",
            PayloadType::SevenZip => "7Z",
            PayloadType::Rar => "RAR",
            PayloadType::Gzip => "GZIP",
            PayloadType::Elf => "ELF",
            PayloadType::Pe => "PE",
            PayloadType::Pdf => "PDF",
            PayloadType::Jpeg => "JPEG",
            PayloadType::Png => "PNG",
            PayloadType::Gif => "GIF",
            PayloadType::Bmp => "BMP",
            PayloadType::Webp => "WEBP",
            PayloadType::Unknown => "UNKNOWN",
        }
    }

    /// Images are legitimate inside metadata (thumbnails, previews), so only these kinds of
    /// content make a structure inside the image suspicious.
    pub fn is_foreign_file(self) -> bool {
        !matches!(
            self,
            PayloadType::Jpeg
                | PayloadType::Png
                | PayloadType::Gif
                | PayloadType::Bmp
                | PayloadType::Webp
                | PayloadType::Unknown
        )
    }
}

/// Where the suspicious bytes sit relative to the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    /// After the image's true end, up to the end of the object (what the vendor reports).
    Appended,
    /// Inside a structure of a valid image (a private PNG chunk, a JPEG APPn/COM segment, an
    /// unknown WebP chunk); the range is that structure's data.
    Embedded,
    /// The whole object: it has no image part (a pure TS stream).
    WholeObject,
}

impl Place {
    pub fn as_str(self) -> &'static str {
        match self {
            Place::Appended => "appended",
            Place::Embedded => "embedded",
            Place::WholeObject => "whole-object",
        }
    }
}

/// A range of bytes that is not part of the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Suspicious {
    /// 0-based offset of the first suspicious byte.
    pub begin: u64,
    /// 0-based offset of the last suspicious byte, inclusive.
    pub end: u64,
    /// `end - begin + 1`.
    pub size: u64,
    pub kind: PayloadType,
    pub place: Place,
}

/// How the walk found the end of the leading image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndRule {
    JpegEoi,
    /// The last JPEG indexed by the Multi-Picture Format APP2 segment.
    JpegMpfIndex,
    PngIend,
    GifTrailer,
    /// Pixel array size from the header geometry.
    BmpGeometry,
    /// End-of-bitmap escape of an RLE pixel stream.
    BmpRleEnd,
    /// A V5 colour profile that sits after the pixels.
    BmpProfile,
    /// Size stored in the header of a JPEG or PNG compressed BMP.
    BmpEmbeddedImage,
    /// RIFF size, confirmed by the chunk walk.
    WebpRiffSize,
    /// The RIFF size did not agree with the chunks: the image ends after the last sound chunk.
    WebpChunkWalk,
    /// The object ended inside the image: there is no trailing data.
    Truncated,
    /// The structure stops making sense at `image_end`; what follows is not part of the image.
    Corrupt,
    /// No image part was found.
    NoImage,
}

impl EndRule {
    pub fn as_str(self) -> &'static str {
        match self {
            EndRule::JpegEoi => "jpeg-eoi",
            EndRule::JpegMpfIndex => "jpeg-mpf-index",
            EndRule::PngIend => "png-iend",
            EndRule::GifTrailer => "gif-trailer",
            EndRule::BmpGeometry => "bmp-geometry",
            EndRule::BmpRleEnd => "bmp-rle-end-of-bitmap",
            EndRule::BmpProfile => "bmp-v5-profile",
            EndRule::BmpEmbeddedImage => "bmp-embedded-image-size",
            EndRule::WebpRiffSize => "webp-riff-size",
            EndRule::WebpChunkWalk => "webp-chunk-walk",
            EndRule::Truncated => "truncated",
            EndRule::Corrupt => "corrupt",
            EndRule::NoImage => "no-image",
        }
    }
}

/// A trailer that the file's own metadata announces (camera formats that append a video).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Declared {
    /// XMP names a Google Motion Photo / MicroVideo container.
    MotionPhoto,
    /// The object ends with Samsung's `SEFT` trailer marker.
    SamsungSef,
}

impl Declared {
    pub fn as_str(self) -> &'static str {
        match self {
            Declared::MotionPhoto => "motion-photo-xmp",
            Declared::SamsungSef => "samsung-seft-trailer",
        }
    }
}

/// Everything the detector found out about one object.
///
/// The vendor's answer is [`Report::vendor`]; the other fields explain it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Report {
    pub pic_size: u64,
    pub pic_type: PicType,
    pub suspicious: Option<Suspicious>,
    /// Offset of the first byte after the image (its length), as walked; `None` without image.
    pub image_end: Option<u64>,
    pub end_rule: EndRule,
    /// Why the bytes after (or inside) the image were judged as they were.
    pub reason: &'static str,
    /// Set when the trailer is announced by the file's own metadata, so users can decide.
    pub declared: Option<Declared>,
}

impl Report {
    /// False when the object is neither an image nor a TS stream: the API answers an error for
    /// such input instead of a verdict, and the CLI reports it per file.
    pub fn supported(&self) -> bool {
        self.pic_type != PicType::Unknown || self.suspicious.is_some()
    }

    /// The vendor's answer, field for field.
    pub fn vendor(&self) -> VendorReport {
        let found = self.suspicious;
        VendorReport {
            pic_size: self.pic_size,
            pic_type: self.pic_type.as_str(),
            suspicious: found.is_some(),
            suspicious_begin_byte: found.map(|s| s.begin),
            suspicious_end_byte: found.map(|s| s.end),
            suspicious_size: found.map(|s| s.size),
            suspicious_type: found.map(|s| s.kind.as_str()),
        }
    }
}

/// The vendor JSON: with the `serde` feature it serializes to exactly
/// `{"picSize":…,"picType":…,"suspicious":…}` plus, only when suspicious,
/// `suspiciousBeginByte`, `suspiciousEndByte`, `suspiciousSize` and `suspiciousType`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize), serde(rename_all = "camelCase"))]
pub struct VendorReport {
    pub pic_size: u64,
    pub pic_type: &'static str,
    pub suspicious: bool,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub suspicious_begin_byte: Option<u64>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub suspicious_end_byte: Option<u64>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub suspicious_size: Option<u64>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub suspicious_type: Option<&'static str>,
}

/// The enums serialize as their tokens, the same strings the vendor JSON uses.
#[cfg(feature = "serde")]
macro_rules! serialize_as_str {
    ($($ty:ty),*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    )*};
}

#[cfg(feature = "serde")]
serialize_as_str!(PicType, PayloadType, Place, EndRule, Declared);
