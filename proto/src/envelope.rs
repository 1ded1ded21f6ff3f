//! The envelope every event travels in: a deterministic id, what it is about, when and from where it was
//! recorded. The type and schema version come from the payload itself.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Competencia, Ibge, Ine, Parcela, Timestamp};

/// Event id: 128 bits of BLAKE3 over the source document, the type, the version and the payload, so that
/// re-importing the same file adds nothing (ARCHITECTURE.md, idempotency).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub [u8; 16]);

impl EventId {
    /// Hashes length-prefixed parts, so that ("ab","c") and ("a","bc") differ.
    pub fn derive(parts: &[&[u8]]) -> EventId {
        let mut hasher = blake3::Hasher::new();
        for part in parts {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
        EventId(id)
    }
}

impl EventId {
    /// The 32 lowercase hex digits, without allocating.
    pub fn hex(&self) -> [u8; 32] {
        let mut hex = [0u8; 32];
        hex::encode_to_slice(self.0, &mut hex).expect("16 bytes are 32 hex digits");
        hex
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.hex()).expect("hex is ASCII"))
    }
}

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventId({self})")
    }
}

impl std::str::FromStr for EventId {
    type Err = String;
    fn from_str(input: &str) -> Result<Self, String> {
        let mut id = [0u8; 16];
        hex::decode_to_slice(input, &mut id).map_err(|_| {
            format!("id de evento inválido \"{input}\": esperados 32 dígitos hexadecimais")
        })?;
        Ok(EventId(id))
    }
}

impl Serialize for EventId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            self.0.serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for EventId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            String::deserialize(d)?
                .parse()
                .map_err(serde::de::Error::custom)
        } else {
            <[u8; 16]>::deserialize(d).map(EventId)
        }
    }
}

/// What an event is about: the keys auditors filter by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct About {
    #[serde(default)]
    pub competencia: Option<Competencia>,
    #[serde(default)]
    pub parcela: Option<Parcela>,
    #[serde(default)]
    pub ibge: Option<Ibge>,
    #[serde(default)]
    pub ine: Option<Ine>,
}

/// Where a fact came from: the document (file name, portaria), its digest, and the line in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    pub document: String,
    /// BLAKE3 of the source file, hex.
    #[serde(default)]
    pub digest: Option<String>,
    /// 1-based line (or array index for JSON files) of the record in the document.
    #[serde(default)]
    pub line: Option<u32>,
}

/// An event with its metadata. `P` is [`crate::Fact`] or [`crate::Decision`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope<P> {
    pub id: EventId,
    pub recorded_at: Timestamp,
    pub source: SourceRef,
    pub payload: P,
}
