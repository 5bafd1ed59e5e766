//! Where the relay to IRC stands: per `#channel=room`, the last sequence
//! handed to IRC, kept in a file so that a restarted bridge resumes right
//! after it (nothing lost, nothing sent twice).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct Cursors {
    file: PathBuf,
    positions: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl Cursors {
    /// Opens (or starts) `relayed.json` in `dir`.
    pub fn open(dir: &std::path::Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let file = dir.join("relayed.json");
        let positions = match std::fs::read_to_string(&file) {
            Ok(text) => {
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(format!("{}: {e}", file.display())),
        };
        Ok(Cursors {
            file,
            positions: Arc::new(Mutex::new(positions)),
        })
    }

    pub fn get(&self, key: &str) -> Option<u64> {
        self.lock().get(key).copied()
    }

    /// Records `seq` and writes the file (a new file renamed over the old,
    /// so a crash leaves one or the other, never half of one).
    pub fn set(&self, key: &str, seq: u64) -> Result<(), String> {
        let mut positions = self.lock();
        positions.insert(key.to_owned(), seq);
        let text = serde_json::to_string_pretty(&*positions).expect("a map of numbers serialises");
        let next = self.file.with_extension("json.new");
        std::fs::write(&next, text)
            .and_then(|()| std::fs::rename(&next, &self.file))
            .map_err(|e| format!("{}: {e}", self.file.display()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        self.positions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let cursors = Cursors::open(dir.path()).unwrap();
        assert_eq!(cursors.get("#a=general"), None);
        cursors.set("#a=general", 41).unwrap();
        cursors.set("#a=general", 42).unwrap();
        let again = Cursors::open(dir.path()).unwrap();
        assert_eq!(again.get("#a=general"), Some(42));
    }
}
