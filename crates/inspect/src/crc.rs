//! CRC-32 (ISO-HDLC, the polynomial PNG uses), sixteen bytes per step ("slicing by 16"), so
//! that checking every PNG chunk costs a fraction of reading it.

const POLY: u32 = 0xEDB8_8320;

const STEP: usize = 16;

const TABLES: [[u32; 256]; STEP] = build_tables();

const fn build_tables() -> [[u32; 256]; STEP] {
    let mut tables = [[0u32; 256]; STEP];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { POLY ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        tables[0][n] = c;
        n += 1;
    }
    // Table t advances a byte that sits t positions before the end of a step.
    let mut t = 1;
    while t < STEP {
        let mut n = 0;
        while n < 256 {
            let prev = tables[t - 1][n];
            tables[t][n] = (prev >> 8) ^ tables[0][(prev & 0xFF) as usize];
            n += 1;
        }
        t += 1;
    }
    tables
}

/// CRC-32 of the concatenation of `parts`.
pub(crate) fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for part in parts {
        crc = update(crc, part);
    }
    !crc
}

fn update(mut crc: u32, data: &[u8]) -> u32 {
    let mut steps = data.chunks_exact(STEP);
    for step in steps.by_ref() {
        let mut bytes = [0u8; STEP];
        bytes.copy_from_slice(step);
        // The running CRC folds into the first four bytes; every byte then goes through the
        // table for its distance from the end of the step.
        let head = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) ^ crc;
        bytes[..4].copy_from_slice(&head.to_le_bytes());
        crc = fold_step(&bytes);
    }
    for &byte in steps.remainder() {
        crc = (crc >> 8) ^ TABLES[0][((crc ^ u32::from(byte)) & 0xFF) as usize];
    }
    crc
}

/// XOR of every byte's table entry, written out so that the compiler keeps all sixteen
/// lookups independent.
fn fold_step(b: &[u8; STEP]) -> u32 {
    let t = |table: usize, byte: u8| TABLES[table][usize::from(byte)];
    (t(15, b[0]) ^ t(14, b[1]) ^ t(13, b[2]) ^ t(12, b[3]))
        ^ (t(11, b[4]) ^ t(10, b[5]) ^ t(9, b[6]) ^ t(8, b[7]))
        ^ (t(7, b[8]) ^ t(6, b[9]) ^ t(5, b[10]) ^ t(4, b[11]))
        ^ (t(3, b[12]) ^ t(2, b[13]) ^ t(1, b[14]) ^ t(0, b[15]))
}

#[cfg(test)]
mod tests {
    use super::crc32;

    #[test]
    fn known_values() {
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
        assert_eq!(crc32(&[b"IEND"]), 0xAE42_6082);
        assert_eq!(crc32(&[b"1234", b"56789"]), 0xCBF4_3926);
        assert_eq!(crc32(&[]), 0);
    }

    #[test]
    fn long_input_matches_bytewise() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 3) as u8).collect();
        let bytewise = data.iter().fold(!0u32, |crc, &b| {
            (0..8).fold(crc ^ u32::from(b), |c, _| {
                if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                }
            })
        });
        assert_eq!(crc32(&[&data]), !bytewise);
    }
}
