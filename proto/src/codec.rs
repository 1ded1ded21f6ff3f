//! Encodings: postcard on the wire (compact, fast), JSON for people and files.
//!
//! Wire layout: a postcard header (format byte, id, type, schema version, about, recorded-at, source)
//! followed by the payload struct alone in postcard. postcard cannot skip fields, so every change of a
//! payload is a new schema version: old bytes are upcast on read, never rewritten ([`legacy`]).

use serde::{Deserialize, Serialize};

use crate::envelope::{About, Envelope, EventId, SourceRef};
use crate::{Decision, Fact, Timestamp};

/// First byte of every encoded envelope; a different layout would get a new value.
pub const WIRE_FORMAT: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("envelope ilegível: {0}")]
    Header(String),
    #[error("formato de envelope {found} desconhecido (esperado {WIRE_FORMAT})")]
    Format { found: u8 },
    #[error("tipo de evento desconhecido \"{event_type}\"")]
    UnknownType { event_type: String },
    #[error("versão {version} do tipo \"{event_type}\" não suportada (versão atual {current})")]
    UnsupportedVersion {
        event_type: String,
        version: u16,
        current: u16,
    },
    #[error("conteúdo ilegível do evento \"{event_type}\" v{version}: {detail}")]
    Payload {
        event_type: String,
        version: u16,
        detail: String,
    },
    #[error("JSON inválido: {0}")]
    Json(String),
    #[error("falha ao codificar o evento \"{event_type}\": {detail}")]
    Encode { event_type: String, detail: String },
}

/// What the codec needs of a payload family (facts, decisions).
pub trait Event: Sized + Clone + Serialize + for<'de> Deserialize<'de> {
    /// Domain-separates ids of the two families.
    const FAMILY: &'static str;
    fn event_type(&self) -> &'static str;
    fn schema_version(&self) -> u16;
    fn about(&self) -> About;
    fn current_version(event_type: &str) -> Option<u16>;
    fn encode_payload(&self) -> Result<Vec<u8>, postcard::Error>;
    /// Decodes a payload written at `version`, upcasting older versions.
    fn decode_payload(event_type: &str, version: u16, bytes: &[u8]) -> Result<Self, CodecError>;
}

impl Event for Fact {
    const FAMILY: &'static str = "fato";
    fn event_type(&self) -> &'static str {
        Fact::event_type(self)
    }
    fn schema_version(&self) -> u16 {
        Fact::schema_version(self)
    }
    fn about(&self) -> About {
        Fact::about(self)
    }
    fn current_version(event_type: &str) -> Option<u16> {
        Fact::current_version(event_type)
    }
    fn encode_payload(&self) -> Result<Vec<u8>, postcard::Error> {
        Fact::encode_payload(self)
    }
    fn decode_payload(event_type: &str, version: u16, bytes: &[u8]) -> Result<Self, CodecError> {
        let current = checked_version::<Fact>(event_type, version)?;
        let decoded = if version == current {
            Fact::decode_current(event_type, bytes)
        } else {
            legacy::upcast_fact(event_type, version, bytes)
        };
        match decoded {
            Some(result) => result.map_err(|e| payload_error(event_type, version, e)),
            None => Err(CodecError::UnsupportedVersion {
                event_type: event_type.to_owned(),
                version,
                current,
            }),
        }
    }
}

impl Event for Decision {
    const FAMILY: &'static str = "decisao";
    fn event_type(&self) -> &'static str {
        Decision::event_type(self)
    }
    fn schema_version(&self) -> u16 {
        Decision::schema_version(self)
    }
    fn about(&self) -> About {
        Decision::about(self)
    }
    fn current_version(event_type: &str) -> Option<u16> {
        Decision::current_version(event_type)
    }
    fn encode_payload(&self) -> Result<Vec<u8>, postcard::Error> {
        Decision::encode_payload(self)
    }
    fn decode_payload(event_type: &str, version: u16, bytes: &[u8]) -> Result<Self, CodecError> {
        let current = checked_version::<Decision>(event_type, version)?;
        if version != current {
            return Err(CodecError::UnsupportedVersion {
                event_type: event_type.to_owned(),
                version,
                current,
            });
        }
        Decision::decode_current(event_type, bytes)
            .expect("checked_version knows the type")
            .map_err(|e| payload_error(event_type, version, e))
    }
}

fn checked_version<P: Event>(event_type: &str, version: u16) -> Result<u16, CodecError> {
    let current = P::current_version(event_type).ok_or_else(|| CodecError::UnknownType {
        event_type: event_type.to_owned(),
    })?;
    if version == 0 || version > current {
        return Err(CodecError::UnsupportedVersion {
            event_type: event_type.to_owned(),
            version,
            current,
        });
    }
    Ok(current)
}

fn payload_error(event_type: &str, version: u16, e: postcard::Error) -> CodecError {
    CodecError::Payload {
        event_type: event_type.to_owned(),
        version,
        detail: e.to_string(),
    }
}

impl<P: Event> Envelope<P> {
    /// Wraps a payload, deriving its id from the source document and the encoded payload.
    pub fn new(payload: P, source: SourceRef, recorded_at: Timestamp) -> Result<Self, CodecError> {
        let bytes = encoded_payload(&payload)?;
        Ok(Envelope {
            id: derive_id(&payload, &source, &bytes),
            recorded_at,
            source,
            payload,
        })
    }

    pub fn event_type(&self) -> &'static str {
        self.payload.event_type()
    }
}

fn encoded_payload<P: Event>(payload: &P) -> Result<Vec<u8>, CodecError> {
    payload.encode_payload().map_err(|e| CodecError::Encode {
        event_type: payload.event_type().to_owned(),
        detail: e.to_string(),
    })
}

fn derive_id<P: Event>(payload: &P, source: &SourceRef, bytes: &[u8]) -> EventId {
    EventId::derive(&[
        P::FAMILY.as_bytes(),
        source.document.as_bytes(),
        payload.event_type().as_bytes(),
        &payload.schema_version().to_le_bytes(),
        bytes,
    ])
}

/// A payload encoded ahead of its envelope: what the id hashes (postcard) and every part of its JSON that
/// does not depend on the envelope. A decision whose content is known before the fact that triggers it (a
/// parcela's statements, drafted while the projector is idle) is then wrapped at the fact with a hash of
/// a few hundred bytes and a few copies, not encoded again.
#[derive(Clone, Debug)]
pub struct Encoded<P> {
    payload: P,
    bytes: Vec<u8>,
    /// `"type":…,"schema_version":…,"about":{…}` — the JSON envelope's fields between `id` and
    /// `recorded_at`, without braces.
    about: String,
    /// The payload's JSON.
    json: String,
}

/// The fields every envelope made at one instant from one source shares: their JSON written once.
#[derive(Clone, Debug)]
pub struct Stamp {
    source: SourceRef,
    recorded_at: Timestamp,
    /// `"recorded_at":…,"source":{…}`, without braces.
    json: String,
}

impl Stamp {
    pub fn new(source: SourceRef, recorded_at: Timestamp) -> Stamp {
        #[derive(Serialize)]
        struct Fields<'a> {
            recorded_at: Timestamp,
            source: &'a SourceRef,
        }
        let json = inner_fields(&Fields {
            recorded_at,
            source: &source,
        });
        Stamp {
            source,
            recorded_at,
            json,
        }
    }
}

/// A struct's compact JSON without its braces: fields to splice into a larger object.
fn inner_fields(value: &impl Serialize) -> String {
    let mut json = serde_json::to_string(value).expect("every event serializes to JSON");
    assert!(json.starts_with('{') && json.ends_with('}'), "{json}");
    json.pop();
    json.remove(0);
    json
}

impl<P: Event> Encoded<P> {
    pub fn new(payload: P) -> Result<Encoded<P>, CodecError> {
        #[derive(Serialize)]
        struct Fields<'a> {
            #[serde(rename = "type")]
            event_type: &'a str,
            schema_version: u16,
            about: About,
        }
        let bytes = encoded_payload(&payload)?;
        let about = inner_fields(&Fields {
            event_type: payload.event_type(),
            schema_version: payload.schema_version(),
            about: payload.about(),
        });
        let json = serde_json::to_string(&payload).map_err(|e| CodecError::Encode {
            event_type: payload.event_type().to_owned(),
            detail: e.to_string(),
        })?;
        Ok(Encoded {
            payload,
            bytes,
            about,
            json,
        })
    }

    pub fn payload(&self) -> &P {
        &self.payload
    }

    /// The envelope and its JSON form: what `Envelope::new` and `to_json` give, byte for byte.
    pub fn envelope(&self, stamp: &Stamp) -> (Envelope<P>, String) {
        let mut json = Vec::with_capacity(self.json_len(stamp));
        let envelope = self.write_envelope(stamp, &mut json);
        let json = String::from_utf8(json).expect("JSON parts are UTF-8");
        (envelope, json)
    }

    /// The length of the envelope's JSON form.
    pub fn json_len(&self, stamp: &Stamp) -> usize {
        JSON_OPEN.len()
            + 32
            + JSON_AFTER_ID.len()
            + self.about.len()
            + 1
            + stamp.json.len()
            + JSON_PAYLOAD.len()
            + self.json.len()
            + 1
    }

    /// The envelope, its JSON form written at the end of `out`: `JsonEnvelope`'s fields in order,
    /// compact, spliced from parts written by serde. Many envelopes can share one buffer (a parcela's
    /// close writes thousands at once, where an allocation each would cost more than the copying).
    pub fn write_envelope(&self, stamp: &Stamp, out: &mut Vec<u8>) -> Envelope<P> {
        let id = derive_id(&self.payload, &stamp.source, &self.bytes);
        let start = out.len();
        for part in [
            JSON_OPEN.as_bytes(),
            &id.hex(),
            JSON_AFTER_ID.as_bytes(),
            self.about.as_bytes(),
            b",",
            stamp.json.as_bytes(),
            JSON_PAYLOAD.as_bytes(),
            self.json.as_bytes(),
            b"}",
        ] {
            out.extend_from_slice(part);
        }
        debug_assert_eq!(out.len() - start, self.json_len(stamp));
        Envelope {
            id,
            recorded_at: stamp.recorded_at,
            source: stamp.source.clone(),
            payload: self.payload.clone(),
        }
    }
}

const JSON_OPEN: &str = "{\"id\":\"";
const JSON_AFTER_ID: &str = "\",";
const JSON_PAYLOAD: &str = ",\"payload\":";

#[derive(Serialize, Deserialize)]
struct WireHeader<'a> {
    format: u8,
    id: EventId,
    #[serde(borrow)]
    event_type: &'a str,
    schema_version: u16,
    about: About,
    recorded_at: Timestamp,
    source: SourceRef,
}

/// Encodes an envelope for the wire (postcard).
pub fn encode<P: Event>(envelope: &Envelope<P>) -> Result<Vec<u8>, CodecError> {
    let payload = &envelope.payload;
    let header = WireHeader {
        format: WIRE_FORMAT,
        id: envelope.id,
        event_type: payload.event_type(),
        schema_version: payload.schema_version(),
        about: payload.about(),
        recorded_at: envelope.recorded_at,
        source: envelope.source.clone(),
    };
    let encode_error = |e: postcard::Error| CodecError::Encode {
        event_type: payload.event_type().to_owned(),
        detail: e.to_string(),
    };
    let mut bytes = postcard::to_stdvec(&header).map_err(encode_error)?;
    bytes.extend_from_slice(&payload.encode_payload().map_err(encode_error)?);
    Ok(bytes)
}

/// Decodes wire bytes, upcasting old schema versions.
pub fn decode<P: Event>(bytes: &[u8]) -> Result<Envelope<P>, CodecError> {
    let (header, rest) = postcard::take_from_bytes::<WireHeader<'_>>(bytes)
        .map_err(|e| CodecError::Header(e.to_string()))?;
    if header.format != WIRE_FORMAT {
        return Err(CodecError::Format {
            found: header.format,
        });
    }
    let payload = P::decode_payload(header.event_type, header.schema_version, rest)?;
    Ok(Envelope {
        id: header.id,
        recorded_at: header.recorded_at,
        source: header.source,
        payload,
    })
}

/// The JSON form for people and files: the payload keeps its own `type`/`kind` tag.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonEnvelope<P> {
    id: EventId,
    #[serde(rename = "type")]
    event_type: String,
    schema_version: u16,
    about: About,
    recorded_at: Timestamp,
    source: SourceRef,
    payload: P,
}

/// `JsonEnvelope` borrowed, for writing: the same fields in the same order.
#[derive(Serialize)]
struct JsonEnvelopeRef<'a, P> {
    id: EventId,
    #[serde(rename = "type")]
    event_type: &'a str,
    schema_version: u16,
    about: About,
    recorded_at: Timestamp,
    source: &'a SourceRef,
    payload: &'a P,
}

fn json_ref<P: Event>(envelope: &Envelope<P>) -> JsonEnvelopeRef<'_, P> {
    JsonEnvelopeRef {
        id: envelope.id,
        event_type: envelope.event_type(),
        schema_version: envelope.payload.schema_version(),
        about: envelope.payload.about(),
        recorded_at: envelope.recorded_at,
        source: &envelope.source,
        payload: &envelope.payload,
    }
}

pub fn to_json_value<P: Event>(envelope: &Envelope<P>) -> serde_json::Value {
    serde_json::to_value(json_ref(envelope)).expect("every event serializes to JSON")
}

/// The JSON form, written straight from the envelope (no intermediate tree: a parcela's close publishes
/// thousands of these while integrators wait), keys in the envelope's order.
pub fn to_json<P: Event>(envelope: &Envelope<P>) -> String {
    serde_json::to_string(&json_ref(envelope)).expect("every event serializes to JSON")
}

/// Reads the JSON form. Older versions parse directly (every change so far only added optional fields);
/// a version newer than this build knows is refused.
pub fn from_json<P: Event>(text: &str) -> Result<Envelope<P>, CodecError> {
    let json: JsonEnvelope<P> =
        serde_json::from_str(text).map_err(|e| CodecError::Json(e.to_string()))?;
    let current = checked_version::<P>(&json.event_type, json.schema_version)?;
    if json.payload.event_type() != json.event_type {
        return Err(CodecError::Json(format!(
            "\"type\" {} difere do tipo do conteúdo {} (versão atual {current})",
            json.event_type,
            json.payload.event_type()
        )));
    }
    Ok(Envelope {
        id: json.id,
        recorded_at: json.recorded_at,
        source: json.source,
        payload: json.payload,
    })
}

/// Payload shapes of earlier schema versions and their upcasters. Never edit a shape here: bytes written by
/// it exist in logs and in `tests/fixtures/`.
pub mod legacy {
    use serde::{Deserialize, Serialize};

    use crate::fact::{Fact, Municipality, Professional, ScnesTeam};
    use crate::{Cbo, Cnes, Competencia, Cpf, Date, Ibge, Ine, TeamType, Uf};

    /// `municipality` version 1: before the urban/rural populations of VAL.TETO's ACS ceiling.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct MunicipalityV1 {
        pub ibge: Ibge,
        pub name: String,
        pub uf: Uf,
        pub population: u32,
    }

    impl From<MunicipalityV1> for Municipality {
        fn from(v1: MunicipalityV1) -> Self {
            Municipality {
                ibge: v1.ibge,
                name: v1.name,
                uf: v1.uf,
                population: v1.population,
                urban_population: None,
                rural_population: None,
            }
        }
    }

    /// `scnes_team` version 1: an exact team type, and every professional by CPF.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ScnesTeamV1 {
        pub competencia: Competencia,
        pub ine: Ine,
        pub cnes: Cnes,
        pub ibge: Ibge,
        pub team_type: TeamType,
        pub active: bool,
        pub professionals: Vec<ProfessionalV1>,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ProfessionalV1 {
        pub cpf: Cpf,
        pub cbo: Cbo,
        pub hours: u8,
        pub left_on: Option<Date>,
    }

    impl From<ScnesTeamV1> for ScnesTeam {
        fn from(v1: ScnesTeamV1) -> Self {
            ScnesTeam {
                competencia: v1.competencia,
                ine: v1.ine,
                cnes: v1.cnes,
                ibge: v1.ibge,
                team_type: v1.team_type.into(),
                active: v1.active,
                professionals: v1
                    .professionals
                    .into_iter()
                    .map(|p| Professional {
                        cpf: Some(p.cpf),
                        cns: None,
                        cbo: p.cbo,
                        hours: p.hours,
                        left_on: p.left_on,
                    })
                    .collect(),
            }
        }
    }

    pub(crate) fn upcast_fact(
        event_type: &str,
        version: u16,
        bytes: &[u8],
    ) -> Option<Result<Fact, postcard::Error>> {
        match (event_type, version) {
            ("municipality", 1) => Some(
                postcard::from_bytes::<MunicipalityV1>(bytes).map(|m| Fact::Municipality(m.into())),
            ),
            ("scnes_team", 1) => {
                Some(postcard::from_bytes::<ScnesTeamV1>(bytes).map(|t| Fact::ScnesTeam(t.into())))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod legacy_tests {
    use super::legacy::{ProfessionalV1, ScnesTeamV1, upcast_fact};
    use crate::fact::Fact;
    use crate::{ScnesTeamType, TeamType};

    #[test]
    fn a_scnes_team_written_at_version_1_reads_with_its_cpfs_and_exact_type() {
        let v1 = ScnesTeamV1 {
            competencia: "2025-03".parse().unwrap(),
            ine: "0001234561".parse().unwrap(),
            cnes: "2345678".parse().unwrap(),
            ibge: "261180".parse().unwrap(),
            team_type: TeamType::Eap20,
            active: true,
            professionals: vec![ProfessionalV1 {
                cpf: crate::Cpf::from_base(123_456_789),
                cbo: "225142".parse().unwrap(),
                hours: 40,
                left_on: None,
            }],
        };
        let bytes = postcard::to_stdvec(&v1).unwrap();
        let Some(Ok(Fact::ScnesTeam(team))) = upcast_fact("scnes_team", 1, &bytes) else {
            panic!("version 1 of scnes_team must be upcast")
        };
        assert_eq!(team.team_type, ScnesTeamType::Exact(TeamType::Eap20));
        assert_eq!(
            team.professionals[0].cpf,
            Some(crate::Cpf::from_base(123_456_789))
        );
        assert_eq!(team.professionals[0].cns, None);
        assert_eq!(
            team.professionals[0].person(),
            crate::Cpf::from_base(123_456_789).get()
        );
    }
}
