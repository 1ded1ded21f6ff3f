//! The examples of `proto/EVENTS.md` are what integrators copy: each must be a decision this build reads,
//! written as it writes it, with an id they can derive again from its payload and source.

use repasse_proto::codec;
use repasse_proto::{Decision, Envelope};

const EVENTS_MD: &str = include_str!("../EVENTS.md");

/// The ```json blocks of EVENTS.md, with the line each starts on.
fn json_examples() -> Vec<(usize, String)> {
    let mut examples = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (number, line) in EVENTS_MD.lines().enumerate() {
        match (&mut current, line.trim_end()) {
            (None, "```json") => current = Some((number + 2, String::new())),
            (Some(_), "```") => examples.extend(current.take()),
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(
        current.is_none(),
        "EVENTS.md: a ```json block is not closed"
    );
    examples
}

#[test]
fn every_example_is_a_decision_as_this_build_writes_it() {
    let examples = json_examples();
    assert!(
        examples.len() >= 3,
        "EVENTS.md has {} examples",
        examples.len()
    );
    for (line, text) in examples {
        let envelope: Envelope<Decision> = codec::from_json(&text)
            .unwrap_or_else(|e| panic!("EVENTS.md, line {line}: {e}\n{text}"));
        let derived = Envelope::new(
            envelope.payload.clone(),
            envelope.source.clone(),
            envelope.recorded_at,
        )
        .unwrap();
        assert_eq!(
            envelope.id, derived.id,
            "EVENTS.md, line {line}: the id is not derived from the payload and source"
        );
        let written: serde_json::Value = serde_json::from_str(&codec::to_json(&envelope)).unwrap();
        let documented: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            documented,
            written,
            "EVENTS.md, line {line}: not what this build writes ({})",
            envelope.payload.event_type()
        );
    }
}
