//! The projector's read models in sled, with its checkpoint, in generations: `<dir>/ATUAL` names the
//! generation in use (`g000001`, …). `repasse rebuild` projects a new generation from the log beside the
//! one in use, and switches `ATUAL` only when the new one has caught up; the old one answers until then.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::step::{Step, Write, tree};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("modelos de leitura em {path}: {detail}")]
    Storage { path: String, detail: String },
    #[error("ponto de controle ilegível em {path}: {detail}")]
    Checkpoint { path: String, detail: String },
}

/// Where the projector stands: the last fact position whose decision point (if any) is fully written and
/// published, how many decisions the sequence holds up to it, and a hash chained over every step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub position: u64,
    pub decisions: u64,
    pub steps: u64,
    /// BLAKE3 chain over the steps' digests, hex; empty before the first step.
    pub state_hash: String,
}

impl Checkpoint {
    /// The checkpoint after `step`, taken at `step.position`.
    pub fn after(&self, step: &Step) -> Checkpoint {
        let mut hasher = blake3::Hasher::new();
        hasher.update(self.state_hash.as_bytes());
        hasher.update(&step.digest());
        Checkpoint {
            position: step.position,
            decisions: self.decisions + step.decisions.len() as u64,
            steps: self.steps + 1,
            state_hash: hasher.finalize().to_hex().to_string(),
        }
    }
}

const META: &str = "meta";
const CHECKPOINT_KEY: &str = "checkpoint";
const CURRENT_FILE: &str = "ATUAL";

/// One generation of read models. Clones share the open database (an HTTP server reads beside the
/// projector that writes).
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    path: PathBuf,
    generation: String,
}

/// sled's page cache for the read models. The projector writes them and reads back only checkpoints;
/// sled's default (1 GiB) would count against the projector's memory bound for nothing.
const CACHE_BYTES: u64 = 64 << 20;

impl Store {
    /// Opens the generation in use under `dir`, creating the first one when there is none.
    pub fn open(dir: &Path) -> Result<Store, Error> {
        match current_generation(dir)? {
            Some(generation) => Store::open_generation(dir, &generation),
            None => {
                let store = Store::open_generation(dir, &generation_name(1))?;
                set_current(dir, store.generation())?;
                Ok(store)
            }
        }
    }

    /// Opens (or creates) a named generation, in use or not.
    pub fn open_generation(dir: &Path, generation: &str) -> Result<Store, Error> {
        let path = dir.join(generation);
        let db = sled::Config::new()
            .path(&path)
            .cache_capacity(CACHE_BYTES)
            .open()
            .map_err(|e| storage(&path, e))?;
        Ok(Store {
            db,
            path,
            generation: generation.to_owned(),
        })
    }

    pub fn generation(&self) -> &str {
        &self.generation
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn checkpoint(&self) -> Result<Checkpoint, Error> {
        let meta = self.tree(META)?;
        match meta
            .get(CHECKPOINT_KEY)
            .map_err(|e| storage(&self.path, e))?
        {
            None => Ok(Checkpoint::default()),
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Checkpoint {
                path: self.path.display().to_string(),
                detail: e.to_string(),
            }),
        }
    }

    /// Writes a step's read models, then the checkpoint after it, then flushes: a crash before the flush
    /// leaves the previous checkpoint, and re-running the step overwrites the same keys with the same values.
    /// The writes are moved into sled one by one, not copied into a batch first: a parcela's lines are
    /// hundreds of megabytes of JSON, and two copies of them were the projector's peak of memory.
    pub fn write_step(&self, writes: Vec<Write>, checkpoint: &Checkpoint) -> Result<(), Error> {
        let mut trees: Vec<(&'static str, sled::Tree)> = Vec::with_capacity(tree::ALL.len());
        for write in writes {
            let tree = match trees.iter().find(|(name, _)| *name == write.tree) {
                Some((_, tree)) => tree,
                None => {
                    trees.push((write.tree, self.tree(write.tree)?));
                    &trees.last().expect("just pushed").1
                }
            };
            tree.insert(write.key.as_bytes(), write.value)
                .map_err(|e| storage(&self.path, e))?;
        }
        self.put_checkpoint(checkpoint)
    }

    /// Records progress past facts that are not decision points.
    pub fn put_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), Error> {
        let bytes = serde_json::to_vec(checkpoint).expect("checkpoint serializes");
        self.tree(META)?
            .insert(CHECKPOINT_KEY, bytes)
            .map_err(|e| storage(&self.path, e))?;
        self.db.flush().map_err(|e| storage(&self.path, e))?;
        Ok(())
    }

    /// One value of a read model, as stored (JSON).
    pub fn get(&self, tree: &str, key: &str) -> Result<Option<serde_json::Value>, Error> {
        let value = self
            .tree(tree)?
            .get(key.as_bytes())
            .map_err(|e| storage(&self.path, e))?;
        value
            .map(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| Error::Storage {
                    path: self.path.display().to_string(),
                    detail: format!("valor {tree}/{key} ilegível: {e}"),
                })
            })
            .transpose()
    }

    /// One value of a read model, as stored (JSON bytes), for serving without parsing.
    pub fn get_raw(&self, tree: &str, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let value = self
            .tree(tree)?
            .get(key.as_bytes())
            .map_err(|e| storage(&self.path, e))?;
        Ok(value.map(|bytes| bytes.to_vec()))
    }

    /// Every key and value of a tree whose key starts with `prefix`, in key order.
    pub fn scan(
        &self,
        tree: &str,
        prefix: &str,
    ) -> Result<Vec<(String, serde_json::Value)>, Error> {
        let mut out = Vec::new();
        for entry in self.tree(tree)?.scan_prefix(prefix.as_bytes()) {
            let (key, value) = entry.map_err(|e| storage(&self.path, e))?;
            let key = String::from_utf8_lossy(&key).into_owned();
            let value = serde_json::from_slice(&value).map_err(|e| Error::Storage {
                path: self.path.display().to_string(),
                detail: format!("valor {tree}/{key} ilegível: {e}"),
            })?;
            out.push((key, value));
        }
        Ok(out)
    }

    /// The greatest key of a tree (keys are `AAAA-MM/…`: the latest period written).
    pub fn last_key(&self, tree: &str) -> Result<Option<String>, Error> {
        let last = self
            .tree(tree)?
            .last()
            .map_err(|e| storage(&self.path, e))?;
        Ok(last.map(|(key, _)| String::from_utf8_lossy(&key).into_owned()))
    }

    fn tree(&self, name: &str) -> Result<sled::Tree, Error> {
        self.db.open_tree(name).map_err(|e| storage(&self.path, e))
    }
}

fn storage(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Storage {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

fn generation_name(n: u32) -> String {
    format!("g{n:06}")
}

/// The generation named in `<dir>/ATUAL`, if any.
pub fn current_generation(dir: &Path) -> Result<Option<String>, Error> {
    match std::fs::read_to_string(dir.join(CURRENT_FILE)) {
        Ok(text) => {
            let name = text.trim().to_owned();
            let valid = name.len() == 7
                && name.starts_with('g')
                && name[1..].bytes().all(|b| b.is_ascii_digit());
            if !valid {
                return Err(Error::Checkpoint {
                    path: dir.join(CURRENT_FILE).display().to_string(),
                    detail: format!("esperado o nome de uma geração como g000001, lido \"{name}\""),
                });
            }
            Ok(Some(name))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(storage(&dir.join(CURRENT_FILE), e)),
    }
}

/// The generation after the one in use (the first when none is).
pub fn next_generation(dir: &Path) -> Result<String, Error> {
    let n = match current_generation(dir)? {
        Some(name) => name[1..].parse::<u32>().expect("checked digits") + 1,
        None => 1,
    };
    Ok(generation_name(n))
}

/// Switches `ATUAL` to `generation` atomically (write, sync, rename).
pub fn set_current(dir: &Path, generation: &str) -> Result<(), Error> {
    use std::io::Write;
    std::fs::create_dir_all(dir).map_err(|e| storage(dir, e))?;
    let temp = dir.join("ATUAL.tmp");
    let mut file = std::fs::File::create(&temp).map_err(|e| storage(&temp, e))?;
    file.write_all(format!("{generation}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| storage(&temp, e))?;
    std::fs::rename(&temp, dir.join(CURRENT_FILE)).map_err(|e| storage(dir, e))
}
