//! What a corrupt or truncated embedded log gives: a clear error, never silent loss.

use std::sync::Arc;

use bytes::Bytes;
use repasse_eventlog::sled_log::SledLog;
use repasse_eventlog::{Error, EventLog, ManualClock, NewRecord, Position};
use repasse_proto::Timestamp;

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Timestamp(1_750_000_000_000)))
}

fn record(i: u64) -> NewRecord {
    NewRecord {
        subject: "fatos.scnes.PE.261180".into(),
        id: format!("id-{i}"),
        payload: Bytes::from(vec![i as u8; 200]),
    }
}

/// `n` records appended `per_call` at a time: each call writes its own page.
async fn log_with(dir: &std::path::Path, n: u64, per_call: u64) {
    let log = SledLog::open(dir, "fatos", clock()).unwrap();
    for first in (1..=n).step_by(per_call as usize) {
        let last = (first + per_call - 1).min(n);
        log.append_batch((first..=last).map(record).collect())
            .await
            .unwrap();
    }
    assert_eq!(log.verify_all().unwrap(), Position(n));
}

/// Edits the raw sled trees behind the log's back.
fn tamper(dir: &std::path::Path, edit: impl FnOnce(&sled::Tree)) {
    let db = sled::open(dir).unwrap();
    edit(&db.open_tree("fatos.pages").unwrap());
    db.flush().unwrap();
}

#[tokio::test]
async fn a_flipped_byte_in_a_record_is_reported_as_corrupt_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    log_with(dir.path(), 50, 10).await;
    tamper(dir.path(), |tree| {
        // The last byte of the page of records 11..=20 is the checksum of record 20.
        let key = 11u64.to_be_bytes();
        let mut value = tree.get(key).unwrap().unwrap().to_vec();
        *value.last_mut().unwrap() ^= 0xff;
        tree.insert(key, value).unwrap();
    });
    let log = SledLog::open(dir.path(), "fatos", clock()).unwrap();
    let before = log.read(Position(1), 10).await.unwrap();
    assert_eq!(before.len(), 10, "records before the damage stay readable");
    match log.read(Position(1), 100).await {
        Err(Error::Corrupt { detail, .. }) => assert!(detail.contains("registro 20"), "{detail}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(matches!(log.verify_all(), Err(Error::Corrupt { .. })));
}

#[tokio::test]
async fn losing_the_last_records_is_reported_as_truncation_on_open() {
    let dir = tempfile::tempdir().unwrap();
    log_with(dir.path(), 50, 5).await;
    tamper(dir.path(), |tree| {
        tree.remove(46u64.to_be_bytes()).unwrap();
    });
    match SledLog::open(dir.path(), "fatos", clock()) {
        Err(Error::Truncated {
            expected, found, ..
        }) => assert_eq!((expected, found), (Position(50), Position(45))),
        other => panic!("expected Truncated, got {:?}", other.map(|_| "a log")),
    }
}

#[tokio::test]
async fn a_missing_record_in_the_middle_is_a_gap_not_a_shorter_log() {
    let dir = tempfile::tempdir().unwrap();
    log_with(dir.path(), 30, 10).await;
    tamper(dir.path(), |tree| {
        tree.remove(11u64.to_be_bytes()).unwrap();
    });
    let log = SledLog::open(dir.path(), "fatos", clock()).unwrap();
    match log.read(Position(1), 100).await {
        Err(Error::Corrupt { detail, .. }) => assert!(detail.contains("lacuna"), "{detail}"),
        other => panic!("expected a gap error, got {other:?}"),
    }
}

#[tokio::test]
async fn truncated_files_on_disk_never_open_as_a_silently_shorter_log() {
    let dir = tempfile::tempdir().unwrap();
    log_with(dir.path(), 2_000, 100).await;
    // Cut every data file of the database in half, as a failed copy or a full disk would.
    for entry in walk(dir.path()) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".head") {
            continue;
        }
        let len = std::fs::metadata(&entry).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&entry)
            .unwrap()
            .set_len(len / 2)
            .unwrap();
    }
    let outcome = match SledLog::open(dir.path(), "fatos", clock()) {
        Err(error) => Err(error),
        Ok(log) => log.read(Position(1), 10_000).await.map(|r| r.len()),
    };
    match outcome {
        Err(error) => assert!(!error.to_string().is_empty()),
        Ok(len) => assert_eq!(len, 2_000, "a log that opens must still hold every record"),
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

#[tokio::test]
async fn a_missing_control_file_with_records_present_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    log_with(dir.path(), 5, 5).await;
    std::fs::remove_file(dir.path().join("fatos.head")).unwrap();
    assert!(matches!(
        SledLog::open(dir.path(), "fatos", clock()),
        Err(Error::Corrupt { .. })
    ));
}
