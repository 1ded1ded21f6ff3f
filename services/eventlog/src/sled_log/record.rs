//! How records, keys and id pages are laid out in sled's trees.

use repasse_proto::Timestamp;

use super::head::{Checksum, checksum};
use crate::{NewRecord, Position};

/// Record value: stamp (8, LE) | subject length (2) | subject | id length (2) | id | payload | checksum (16).
pub(super) fn encode_value(stamp: Timestamp, record: &NewRecord) -> (Vec<u8>, Checksum) {
    let mut value =
        Vec::with_capacity(12 + record.subject.len() + record.id.len() + record.payload.len() + 16);
    value.extend_from_slice(&stamp.0.to_le_bytes());
    value.extend_from_slice(&(record.subject.len() as u16).to_le_bytes());
    value.extend_from_slice(record.subject.as_bytes());
    value.extend_from_slice(&(record.id.len() as u16).to_le_bytes());
    value.extend_from_slice(record.id.as_bytes());
    value.extend_from_slice(&record.payload);
    let sum = checksum(&value);
    value.extend_from_slice(&sum);
    (value, sum)
}

pub(super) fn id_hash(id: &str) -> u64 {
    let bytes: [u8; 8] = blake3::hash(id.as_bytes()).as_bytes()[..8]
        .try_into()
        .expect("8 bytes");
    u64::from_le_bytes(bytes)
}

pub(super) fn page_key(position: Position) -> [u8; 8] {
    position.0.to_be_bytes()
}

/// An id page: (u16 length, id bytes) repeated.
pub(super) fn parse_ids(mut bytes: &[u8]) -> Option<Vec<String>> {
    let mut ids = Vec::new();
    while !bytes.is_empty() {
        let len = usize::from(u16::from_le_bytes(bytes.get(..2)?.try_into().ok()?));
        ids.push(std::str::from_utf8(bytes.get(2..2 + len)?).ok()?.to_owned());
        bytes = &bytes[2 + len..];
    }
    Some(ids)
}
