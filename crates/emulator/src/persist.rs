//! Atomic JSON persistence of the emulator's state files in the data directory.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Error;

/// Loads `path` as JSON, or `None` when the file does not exist yet.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Corrupt {
                path: path.to_path_buf(),
                message: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("reading", path)(e)),
    }
}

/// Writes `value` as JSON to `path` atomically (temporary file in the same folder, then rename).
pub fn save<T: Serialize>(path: &Path, value: &T) -> Result<(), Error> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    write_atomic(path, &bytes)
}

/// Writes bytes to `path` atomically, with mode 0600 on Unix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(Error::io("creating", dir))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(Error::io("creating a temporary file in", dir))?;
    tmp.write_all(bytes).map_err(Error::io("writing", path))?;
    tmp.as_file()
        .sync_all()
        .map_err(Error::io("syncing", path))?;
    tmp.persist(path)
        .map_err(|e| Error::io("replacing", path)(e.error))?;
    Ok(())
}
