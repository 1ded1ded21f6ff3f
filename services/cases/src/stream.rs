//! A case read as a stream: its facts are parsed one item at a time and handed on in bounded chunks as
//! they are read, so that an auditor's case of a whole country — a million facts and more — is never held
//! whole. The name, rules and expectations are read as in [`crate::format`], in whatever order the keys
//! come, with the same JSON paths in every error.

use std::io::BufReader;
use std::path::Path;

use repasse_proto::Fact;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::format::{self, Expect, ReadError};

/// Facts handed on at once.
pub const CHUNK: usize = 16_384;

/// What a streamed case keeps: everything but its facts, and how many items and facts it had.
#[derive(Debug)]
pub struct CaseHead {
    pub file: String,
    pub name: String,
    pub rules: Vec<String>,
    pub expect: Expect,
    pub facts: usize,
}

/// Receives the facts of a streamed case, in order, with the index of the item each came from, and the
/// document they are recorded under: the case's name when it comes before its facts, else its file name.
pub type Sink<'s> = dyn FnMut(&str, Vec<(Fact, usize)>) -> Result<(), String> + 's;

/// Reads the case at `path`, handing its facts to `sink` in chunks of at most [`CHUNK`], in order. `sink`
/// refusing a chunk stops the reading with its message.
pub fn stream_case(path: &Path, sink: &mut Sink<'_>) -> Result<CaseHead, ReadError> {
    let file = path.display().to_string();
    let error = |path: &str, message: String| ReadError {
        file: file.clone(),
        path: path.to_owned(),
        message,
    };
    let opened = std::fs::File::open(path)
        .map_err(|e| error("$", format!("não foi possível ler o arquivo: {e}")))?;
    let mut reader = serde_json::Deserializer::from_reader(BufReader::new(opened));
    let fallback = path
        .file_stem()
        .map_or_else(|| file.clone(), |s| s.to_string_lossy().into_owned());
    let read = de::Deserializer::deserialize_map(
        &mut reader,
        CaseVisitor {
            sink,
            fallback,
            base: path.parent().unwrap_or(Path::new(".")).to_owned(),
        },
    )
    .and_then(|read| reader.end().map(|()| read));
    let read = read.map_err(|e| {
        // serde_json appends " at line L column C" to every message: said in Portuguese instead.
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let text = e.to_string();
        let text = match text.strip_suffix(&suffix) {
            Some(bare) => format!("{bare} (linha {}, coluna {})", e.line(), e.column()),
            None => text,
        };
        match text.split_once(PATH_MARK) {
            Some((path, message)) => error(path, message.to_owned()),
            None => error("$", format!("JSON inválido: {text}")),
        }
    })?;
    let name = read
        .name
        .ok_or_else(|| error("name", "campo obrigatório ausente".into()))?;
    let name = format::typed::<String>(Some(name), "name").map_err(|(p, m)| error(&p, m))?;
    let rules = read.rules.unwrap_or(Value::Array(vec![]));
    let rules =
        format::typed::<Vec<String>>(Some(rules), "rules").map_err(|(p, m)| error(&p, m))?;
    let expect = read.expect.unwrap_or(Value::Object(serde_json::Map::new()));
    let expect = format::typed::<Expect>(Some(expect), "expect").map_err(|(p, m)| error(&p, m))?;
    if !read.facts_seen {
        return Err(error("facts", "campo obrigatório ausente".to_owned()));
    }
    Ok(CaseHead {
        file,
        name,
        rules,
        expect,
        facts: read.facts,
    })
}

/// Separates the JSON path from the message in errors raised inside the visitors.
const PATH_MARK: char = '\u{1f}';

fn at_path<E: de::Error>(path: &str, message: &str) -> E {
    E::custom(format!("{path}{PATH_MARK}{message}"))
}

#[derive(Default)]
struct Read {
    name: Option<Value>,
    rules: Option<Value>,
    expect: Option<Value>,
    facts: usize,
    facts_seen: bool,
}

struct CaseVisitor<'s, 'k> {
    sink: &'s mut Sink<'k>,
    /// The case file's folder: `file` facts name their path relative to it.
    base: std::path::PathBuf,
    fallback: String,
}

impl<'de> Visitor<'de> for CaseVisitor<'_, '_> {
    type Value = Read;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("um objeto com name, rules, facts e expect")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Read, A::Error> {
        let mut read = Read::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => read.name = Some(map.next_value()?),
                "rules" => read.rules = Some(map.next_value()?),
                "expect" => read.expect = Some(map.next_value()?),
                "facts" if read.facts_seen => {
                    return Err(at_path("facts", "campo repetido"));
                }
                "facts" => {
                    let document = match &read.name {
                        Some(Value::String(name)) => name.clone(),
                        _ => self.fallback.clone(),
                    };
                    read.facts = map.next_value_seed(FactsSeed {
                        sink: &mut *self.sink,
                        base: &self.base,
                        document,
                    })?;
                    read.facts_seen = true;
                }
                other => {
                    return Err(at_path(
                        &format!("$.{other}"),
                        "campo desconhecido (esperado name, rules, facts, expect)",
                    ));
                }
            }
        }
        Ok(read)
    }
}

struct FactsSeed<'s, 'k> {
    sink: &'s mut Sink<'k>,
    base: &'s Path,
    document: String,
}

impl<'de> DeserializeSeed<'de> for FactsSeed<'_, '_> {
    type Value = usize;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FactsSeed<'_, '_> {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("uma lista de fatos")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut chunk = Vec::with_capacity(CHUNK);
        let (mut index, mut count) = (0usize, 0usize);
        while let Some(item) = seq.next_element::<Value>()? {
            let facts =
                format::parse_fact(index, item, self.base).map_err(|(p, m)| at_path(&p, &m))?;
            for fact in facts {
                chunk.push(fact);
                count += 1;
                if chunk.len() == CHUNK {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                    (self.sink)(&self.document, full)
                        .map_err(|m| at_path(&format!("facts[{index}]"), &m))?;
                }
            }
            index += 1;
        }
        if !chunk.is_empty() {
            (self.sink)(&self.document, chunk)
                .map_err(|m| at_path(&format!("facts[{index}]"), &m))?;
        }
        Ok(count)
    }
}
