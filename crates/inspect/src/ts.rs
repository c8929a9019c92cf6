//! MPEG transport stream lattices: the sync byte `0x47` repeating at a fixed packet stride.

use crate::bytes::u8_at;

const SYNC: u8 = 0x47;

/// Plain TS (188), M2TS/BDAV with a 4-byte timestamp before each packet (192), and TS with
/// 16 bytes of Reed-Solomon parity after each packet (204).
const STRIDES: [usize; 3] = [188, 192, 204];

const PACKET: usize = 188;

/// Five syncs in a row happen by chance about once in 2^40 positions.
const TRUSTED_RUN: usize = 5;

/// Where a lattice was found inside a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lattice {
    pub start: usize,
    pub stride: usize,
}

/// What a lattice must show to be believed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Search {
    /// Junk allowed before the first sync byte.
    pub max_junk: usize,
    /// A shorter run is still believed when it covers the region to its end (a stream of a
    /// few packets), provided it has at least this many packets.
    pub min_packets: usize,
}

/// First lattice in `region` that starts within `search.max_junk` bytes. Every start offset
/// is a phase of every stride, so junk of any length up to the bound is covered; the cost is
/// at most a few reads per offset.
pub(crate) fn find(region: &[u8], search: Search) -> Option<Lattice> {
    let last_start = search.max_junk.min(region.len());
    (0..last_start)
        .filter(|&start| region[start] == SYNC)
        .find_map(|start| lattice_at(region, start, search))
}

fn lattice_at(region: &[u8], start: usize, search: Search) -> Option<Lattice> {
    STRIDES.into_iter().find_map(|stride| {
        let run = sync_run(region, start, stride);
        believable(region.len(), start, stride, run, search).then_some(Lattice { start, stride })
    })
}

/// Number of consecutive plausible packets from `start`, counting at most `TRUSTED_RUN`.
fn sync_run(region: &[u8], start: usize, stride: usize) -> usize {
    (0..TRUSTED_RUN)
        .take_while(|&k| plausible_packet(region, start + k * stride))
        .count()
}

/// A sync byte followed by a header whose adaptation-field control is not the reserved `00`.
fn plausible_packet(region: &[u8], at: usize) -> bool {
    at + PACKET <= region.len()
        && u8_at(region, at) == Some(SYNC)
        && u8_at(region, at + 3).is_some_and(|b| b & 0x30 != 0)
}

fn believable(len: usize, start: usize, stride: usize, run: usize, search: Search) -> bool {
    if run >= TRUSTED_RUN {
        return true;
    }
    // A short stream must start within its first packet and leave no room for another one.
    let reaches_end = start + run * stride + PACKET > len;
    run >= search.min_packets.max(1) && start < stride && reaches_end
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRAILER: Search = Search {
        max_junk: 4096,
        min_packets: 1,
    };

    fn stream(packets: usize, stride: usize, sync_at: usize) -> Vec<u8> {
        let mut out = vec![0u8; packets * stride];
        for k in 0..packets {
            out[k * stride + sync_at] = SYNC;
            out[k * stride + sync_at + 3] = 0x10;
        }
        out
    }

    #[test]
    fn finds_every_stride() {
        let plain = stream(10, 188, 0);
        assert_eq!(
            find(&plain, TRAILER),
            Some(Lattice {
                start: 0,
                stride: 188
            })
        );
        let m2ts = stream(10, 192, 4);
        assert_eq!(
            find(&m2ts, TRAILER),
            Some(Lattice {
                start: 4,
                stride: 192
            })
        );
        let parity = stream(10, 204, 0);
        assert_eq!(find(&parity, TRAILER).map(|l| l.stride), Some(204));
    }

    #[test]
    fn skips_junk_before_the_first_packet() {
        let mut data = vec![0x47u8; 777];
        data.extend(stream(6, 188, 0));
        assert_eq!(find(&data, TRAILER).map(|l| l.start), Some(777));
    }

    #[test]
    fn a_short_stream_must_reach_the_end() {
        let two = stream(2, 188, 0);
        assert!(find(&two, TRAILER).is_some());
        let mut followed = two.clone();
        followed.extend([1u8; 400]);
        assert_eq!(find(&followed, TRAILER), None);
        assert!(
            find(
                &two,
                Search {
                    max_junk: 4096,
                    min_packets: 3
                }
            )
            .is_none()
        );
    }

    #[test]
    fn ignores_text_and_short_data() {
        assert_eq!(find(b"GGGGGGGGGG", TRAILER), None);
        assert_eq!(find(&[], TRAILER), None);
    }
}
