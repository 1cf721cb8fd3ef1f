//! The big scenario: a 1 GiB file up and down through the real emulator, hashes
//! matching, and the whole process (client and in-process emulator) staying under 100 MiB of
//! peak resident memory — streaming everywhere, nothing buffered whole.
//! Alone in its test binary so that no other test's memory counts.

use crate::common;

use std::io::{Read, Write};

use common::*;
use graphlink_graph::quickxorhash::QuickXorHash;
use graphlink_graph::{ItemRef, NoProgress, UploadOptions};

const MIB: u64 = 1024 * 1024;

/// Peak resident set size of this process (VmHWM), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Writes `size` pseudo-random bytes to `path`, returning their quickXorHash.
fn write_file(path: &std::path::Path, size: u64) -> String {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut hash = QuickXorHash::new();
    let mut buf = vec![0u8; MIB as usize];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut left = size;
    while left > 0 {
        for chunk in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        let n = left.min(MIB) as usize;
        hash.update(&buf[..n]);
        out.write_all(&buf[..n]).unwrap();
        left -= n as u64;
    }
    out.flush().unwrap();
    hash.finish_base64()
}

fn hash_file(path: &std::path::Path) -> String {
    let mut file = std::fs::File::open(path).unwrap();
    let mut hash = QuickXorHash::new();
    let mut buf = vec![0u8; MIB as usize];
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
    }
    hash.finish_base64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_gibibyte_up_and_down_with_matching_hashes_and_bounded_memory() {
    let size: u64 = std::env::var("GRAPHLINK_BIG_FILE_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
        * MIB;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("big.bin");
    let expected = write_file(&src, size);
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    let item = guard(
        "upload",
        drive.upload_file(
            &ItemRef::Root,
            "big.bin",
            &src,
            &UploadOptions::default(),
            &NoProgress,
        ),
    )
    .await
    .unwrap();
    assert_eq!(item.size, Some(size));
    let server_hash = item
        .file
        .and_then(|f| f.hashes)
        .and_then(|h| h.quick_xor_hash);
    assert_eq!(server_hash.as_deref(), Some(expected.as_str()));
    std::fs::remove_file(&src).unwrap();

    let dest = dir.path().join("back.bin");
    guard(
        "download",
        drive.download_to_file(&ItemRef::path("/big.bin"), &dest, &NoProgress),
    )
    .await
    .unwrap();
    assert_eq!(std::fs::metadata(&dest).unwrap().len(), size);
    assert_eq!(hash_file(&dest), expected);
    let peak = peak_rss();
    assert!(peak > 0, "VmHWM readable");
    assert!(
        peak < 100 * MIB,
        "peak resident memory {} MiB for a {} MiB round trip",
        peak / MIB,
        size / MIB
    );
}
