#[test]
fn speed() {
    let data = vec![0xA5u8; 256 * 1024 * 1024];
    let t = std::time::Instant::now();
    let mut h = graphlink_graph::quickxorhash::QuickXorHash::new();
    for c in data.chunks(64 * 1024 + 3) { h.update(c); }
    let _ = h.finish_base64();
    eprintln!("256 MiB in {:?}", t.elapsed());
}
