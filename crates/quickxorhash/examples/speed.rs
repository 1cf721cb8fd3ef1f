//! Prints how fast QuickXorHash hashes in-memory data (MB/s).
fn main() {
    let data: Vec<u8> = (0..64 * 1024 * 1024u32).map(|i| (i * 7) as u8).collect();
    let mut h = graphlink_quickxorhash::QuickXorHash::new();
    let start = std::time::Instant::now();
    for _ in 0..16 {
        h.update(&data);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} {:.0} MB/s",
        h.finish_base64(),
        16.0 * data.len() as f64 / secs / 1e6
    );
}
