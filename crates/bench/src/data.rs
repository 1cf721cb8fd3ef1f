//! Test data: files of pseudo-random bytes (incompressible, reproducible from a seed) and their
//! QuickXorHash, written without holding a whole file in memory.

use std::io::Write;
use std::path::{Path, PathBuf};

use graphlink_graph::quickxorhash::QuickXorHash;

use crate::error::{Context, Result};

const PIECE: usize = 1 << 20;

/// A small, fast generator (xorshift64*): the bytes only need to look random.
struct Bytes64(u64);

impl Bytes64 {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            let v = x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// Writes `size` pseudo-random bytes (from `seed`) to `path`.
pub(crate) fn write_file(path: &Path, size: u64, seed: u64) -> Result<()> {
    let what = format!("writing {}", path.display());
    let mut out =
        std::io::BufWriter::with_capacity(PIECE, std::fs::File::create(path).context(&what)?);
    let mut gen = Bytes64::new(seed);
    let mut buf = vec![0u8; PIECE];
    let mut left = size;
    while left > 0 {
        let n = left.min(PIECE as u64) as usize;
        gen.fill(&mut buf[..n]);
        out.write_all(&buf[..n]).context(&what)?;
        left -= n as u64;
    }
    out.flush().context(&what)?;
    Ok(())
}

/// One file of a generated set.
#[derive(Debug, Clone)]
pub(crate) struct SmallFile {
    /// File name.
    pub name: String,
    /// Local path.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// QuickXorHash (base64) of the content.
    pub hash: String,
}

/// Writes `count` files of `size` bytes, each with different content, into `dir`.
pub(crate) fn write_small_files(dir: &Path, count: usize, size: usize) -> Result<Vec<SmallFile>> {
    std::fs::create_dir_all(dir).context(format!("creating {}", dir.display()))?;
    let mut files = Vec::with_capacity(count);
    let mut buf = vec![0u8; size];
    for i in 0..count {
        Bytes64::new(1_000 + i as u64).fill(&mut buf);
        let name = format!("file-{i:05}.bin");
        let path = dir.join(&name);
        std::fs::write(&path, &buf).context(format!("writing {}", path.display()))?;
        files.push(SmallFile {
            name,
            path,
            size: size as u64,
            hash: QuickXorHash::hash_base64(&buf),
        });
    }
    Ok(files)
}

/// The QuickXorHash of a local file (streamed).
#[cfg(test)]
pub(crate) fn hash_file(path: &Path) -> Result<(u64, String)> {
    use std::io::Read;
    let what = format!("reading {}", path.display());
    let mut file = std::fs::File::open(path).context(&what)?;
    let mut hasher = QuickXorHash::new();
    let mut buf = vec![0u8; PIECE];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).context(&what)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hasher.finish_base64()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_files_are_reproducible_distinct_and_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.bin");
        write_file(&big, 3 * PIECE as u64 + 5, 7).unwrap();
        let again = dir.path().join("again.bin");
        write_file(&again, 3 * PIECE as u64 + 5, 7).unwrap();
        assert_eq!(hash_file(&big).unwrap(), hash_file(&again).unwrap());
        assert_eq!(hash_file(&big).unwrap().0, 3 * PIECE as u64 + 5);

        let small = write_small_files(&dir.path().join("small"), 3, 1000).unwrap();
        assert_eq!(small.len(), 3);
        assert_ne!(small[0].hash, small[1].hash);
        for f in &small {
            assert_eq!(hash_file(&f.path).unwrap(), (1000, f.hash.clone()));
        }
    }
}
