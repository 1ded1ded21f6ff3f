//! The control file `<stream>.head`: the last position, its checksum and a hash chain over every record's
//! checksum, written after each durable append, so that a log sled shortened by dropping a torn write is
//! found out on open.

use repasse_proto::Timestamp;

use crate::Position;

pub(super) const CHECKSUM_BYTES: usize = 16;
pub(super) type Checksum = [u8; CHECKSUM_BYTES];

/// What the control file says, and what the appender keeps in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Head {
    pub position: Position,
    pub stamp: Timestamp,
    pub checksum: Checksum,
    pub chain: [u8; 32],
}

impl Head {
    pub const EMPTY: Head = Head {
        position: Position(0),
        stamp: Timestamp(i64::MIN),
        checksum: [0; 16],
        chain: [0; 32],
    };

    pub fn extend(self, position: Position, stamp: Timestamp, checksum: Checksum) -> Head {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.chain);
        hasher.update(&checksum);
        Head {
            position,
            stamp,
            checksum,
            chain: *hasher.finalize().as_bytes(),
        }
    }

    pub fn to_text(self) -> String {
        format!(
            "{} {} {} {}\n",
            self.position.0,
            self.stamp.0,
            hex(&self.checksum),
            hex(&self.chain)
        )
    }

    pub fn parse(text: &str) -> Option<Head> {
        let mut words = text.split_whitespace();
        let position = Position(words.next()?.parse().ok()?);
        let stamp = Timestamp(words.next()?.parse().ok()?);
        let mut checksum = [0u8; CHECKSUM_BYTES];
        unhex(words.next()?, &mut checksum)?;
        let mut chain = [0u8; 32];
        unhex(words.next()?, &mut chain)?;
        Some(Head {
            position,
            stamp,
            checksum,
            chain,
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str, out: &mut [u8]) -> Option<()> {
    if text.len() != out.len() * 2 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(())
}

pub(super) fn checksum(body: &[u8]) -> Checksum {
    let mut sum = [0u8; CHECKSUM_BYTES];
    sum.copy_from_slice(&blake3::hash(body).as_bytes()[..CHECKSUM_BYTES]);
    sum
}
