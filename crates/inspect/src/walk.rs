//! What a format walker hands back to the verdict.

use crate::report::{Declared, EndRule, Suspicious};

/// Where the walk of the leading image stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The structure ended properly: `end` is the offset of the first byte after the image.
    Complete { end: usize, rule: EndRule },
    /// The structure stopped making sense at `at`.
    Broken { at: usize, cause: Break },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Break {
    /// A structure announced more bytes than the object has.
    Truncated,
    /// Bytes at `at` are not a structure of the format (bad marker, bad CRC, bad block type).
    Corrupt,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Walk {
    pub outcome: Outcome,
    /// The first payload found hidden inside a structure of the image.
    pub hidden: Option<Suspicious>,
    pub declared: Option<Declared>,
}

impl Walk {
    pub fn complete(end: usize, rule: EndRule) -> Walk {
        Walk::from(Outcome::Complete { end, rule })
    }

    pub fn broken(at: usize, cause: Break) -> Walk {
        Walk::from(Outcome::Broken { at, cause })
    }
}

impl From<Outcome> for Walk {
    fn from(outcome: Outcome) -> Walk {
        Walk {
            outcome,
            hidden: None,
            declared: None,
        }
    }
}
