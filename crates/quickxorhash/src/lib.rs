//! QuickXorHash, the content hash every OneDrive/SharePoint drive reports
//! (`file.hashes.quickXorHash`).
//!
//! The hash is a 160-bit accumulator: input byte `i` is XORed in rotated left by `(i * 11) mod 160`
//! bits; at the end the total length (u64, little-endian) is XORed into bytes 12..20 and the 20
//! bytes are base64-encoded. Because `11` and `160` are coprime and XOR is linear, every byte whose
//! index is congruent modulo 160 lands at the same rotation: the hasher only XORs the input into a
//! 160-byte block (in 64-bit words, so it runs at memory speed) and applies the rotations once,
//! when finishing.

#![warn(missing_docs)]

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes after which the rotation pattern repeats.
const BLOCK: usize = 160;
/// Width of the accumulator in bytes.
const WIDTH_BYTES: usize = 20;
/// Rotation step in bits per input byte.
const SHIFT: usize = 11;

/// A streaming QuickXorHash hasher. Feed it with [`QuickXorHash::update`], read the result with
/// [`QuickXorHash::finish_base64`].
#[derive(Clone)]
pub struct QuickXorHash {
    /// XOR of all input bytes, folded onto one 160-byte block (byte `i` goes to lane `i % 160`),
    /// held as 20 little-endian 64-bit words.
    lanes: [u64; BLOCK / 8],
    /// Total number of bytes hashed.
    length: u64,
}

impl Default for QuickXorHash {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for QuickXorHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuickXorHash")
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

impl QuickXorHash {
    /// A hasher that has seen no input.
    pub fn new() -> Self {
        Self {
            lanes: [0; BLOCK / 8],
            length: 0,
        }
    }

    /// Number of bytes hashed so far.
    pub fn len(&self) -> u64 {
        self.length
    }

    /// Whether no byte has been hashed yet.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Adds `data` to the hash.
    pub fn update(&mut self, mut data: &[u8]) {
        // Bring the position to a block boundary byte by byte.
        let mut pos = (self.length % BLOCK as u64) as usize;
        self.length += data.len() as u64;
        while pos != 0 && !data.is_empty() {
            self.xor_byte(pos, data[0]);
            data = &data[1..];
            pos = (pos + 1) % BLOCK;
        }
        // Whole blocks: XOR word by word.
        let mut blocks = data.chunks_exact(BLOCK);
        for block in &mut blocks {
            for (lane, word) in self.lanes.iter_mut().zip(block.chunks_exact(8)) {
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(word);
                *lane ^= u64::from_le_bytes(bytes);
            }
        }
        for (i, &b) in blocks.remainder().iter().enumerate() {
            self.xor_byte(i, b);
        }
    }

    fn xor_byte(&mut self, pos: usize, byte: u8) {
        self.lanes[pos / 8] ^= u64::from(byte) << ((pos % 8) * 8);
    }

    /// The 20 raw bytes of the hash of everything fed so far (the hasher stays usable).
    pub fn digest(&self) -> [u8; WIDTH_BYTES] {
        let mut out = [0u8; WIDTH_BYTES];
        for pos in 0..BLOCK {
            let byte = (self.lanes[pos / 8] >> ((pos % 8) * 8)) as u8;
            if byte == 0 {
                continue;
            }
            let bit = (pos * SHIFT) % (WIDTH_BYTES * 8);
            let (index, shift) = (bit / 8, bit % 8);
            let spread = u16::from(byte) << shift;
            out[index] ^= spread as u8;
            out[(index + 1) % WIDTH_BYTES] ^= (spread >> 8) as u8;
        }
        for (o, l) in out[WIDTH_BYTES - 8..]
            .iter_mut()
            .zip(self.length.to_le_bytes())
        {
            *o ^= l;
        }
        out
    }

    /// The hash as Graph reports it: standard base64 with padding (28 characters).
    pub fn finish_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.digest())
    }

    /// Hashes `data` in one call.
    pub fn hash_base64(data: &[u8]) -> String {
        let mut h = Self::new();
        h.update(data);
        h.finish_base64()
    }
}

/// Serialised as `{"buckets": base64 of the 160 folded bytes, "length": n}`, so an upload
/// session can keep its running hash across restarts.
impl Serialize for QuickXorHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buckets = [0u8; BLOCK];
        for (chunk, lane) in buckets.chunks_exact_mut(8).zip(self.lanes) {
            chunk.copy_from_slice(&lane.to_le_bytes());
        }
        State {
            buckets: base64::engine::general_purpose::STANDARD.encode(buckets),
            length: self.length,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for QuickXorHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let state = State::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(state.buckets)
            .map_err(|e| serde::de::Error::custom(format!("quickXorHash state: {e}")))?;
        if bytes.len() != BLOCK {
            return Err(serde::de::Error::custom("quickXorHash state: wrong length"));
        }
        let mut lanes = [0u64; BLOCK / 8];
        for (lane, chunk) in lanes.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            *lane = u64::from_le_bytes(word);
        }
        Ok(Self {
            lanes,
            length: state.length,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct State {
    buckets: String,
    length: u64,
}

impl PartialEq for QuickXorHash {
    fn eq(&self, other: &Self) -> bool {
        self.lanes == other.lanes && self.length == other.length
    }
}

impl Eq for QuickXorHash {}

/// Whether two base64 QuickXorHash values are the same hash (compares the decoded bytes, so
/// differences in padding or case of an otherwise equal encoding do not matter).
pub fn same_hash(a: &str, b: &str) -> bool {
    let engine = base64::engine::general_purpose::STANDARD;
    match (engine.decode(a.trim()), engine.decode(b.trim())) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.trim() == b.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_survives_serialisation_mid_stream() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut h = QuickXorHash::new();
        h.update(&data[..333]);
        let text = serde_json::to_string(&h).unwrap();
        let mut back: QuickXorHash = serde_json::from_str(&text).unwrap();
        assert_eq!(back, h);
        back.update(&data[333..]);
        assert_eq!(back.finish_base64(), QuickXorHash::hash_base64(&data));
    }

    /// Straightforward bit-by-bit reference implementation of the definition.
    fn reference(data: &[u8]) -> String {
        let mut bits = [false; 160];
        for (i, &b) in data.iter().enumerate() {
            let offset = (i * 11) % 160;
            for j in 0..8 {
                if b & (1 << j) != 0 {
                    let k = (offset + j) % 160;
                    bits[k] = !bits[k];
                }
            }
        }
        let mut out = [0u8; 20];
        for (k, &set) in bits.iter().enumerate() {
            if set {
                out[k / 8] |= 1 << (k % 8);
            }
        }
        for (o, l) in out[12..].iter_mut().zip((data.len() as u64).to_le_bytes()) {
            *o ^= l;
        }
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    #[test]
    fn contract_vectors() {
        assert_eq!(
            QuickXorHash::hash_base64(b""),
            "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
        );
        assert_eq!(
            QuickXorHash::hash_base64(b"J"),
            "SgAAAAAAAAAAAAAAAQAAAAAAAAA="
        );
        assert_eq!(
            QuickXorHash::hash_base64(&[0xB5, 0xB4]),
            "taAFAAAAAAAAAAAAAgAAAAAAAAA="
        );
        assert_eq!(
            QuickXorHash::hash_base64(b"hello world"),
            "aCgDG9jwBhDc4Q1yawMZAAAAAAA="
        );
    }

    fn sample(len: usize) -> Vec<u8> {
        // Deterministic pseudo-random bytes.
        let mut x: u32 = 0x1234_5678;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 11) as u8
            })
            .collect()
    }

    #[test]
    fn matches_the_bitwise_definition() {
        for len in [1, 7, 159, 160, 161, 319, 320, 1000, 4099] {
            let data = sample(len);
            assert_eq!(
                QuickXorHash::hash_base64(&data),
                reference(&data),
                "len {len}"
            );
        }
    }

    #[test]
    fn incremental_equals_one_shot() {
        let data = sample(10_007);
        let whole = QuickXorHash::hash_base64(&data);
        for split in [1usize, 3, 8, 159, 160, 161, 333, 4096] {
            let mut h = QuickXorHash::new();
            for piece in data.chunks(split) {
                h.update(piece);
            }
            assert_eq!(h.finish_base64(), whole, "pieces of {split}");
            assert_eq!(h.len(), data.len() as u64);
        }
        // Uneven pieces.
        let mut h = QuickXorHash::new();
        let mut rest = &data[..];
        let mut n = 1;
        while !rest.is_empty() {
            let take = n.min(rest.len());
            h.update(&rest[..take]);
            rest = &rest[take..];
            n = n * 3 % 701 + 1;
        }
        assert_eq!(h.finish_base64(), whole);
    }

    #[test]
    fn same_hash_compares_decoded_bytes() {
        assert!(same_hash(
            "SgAAAAAAAAAAAAAAAQAAAAAAAAA=",
            " SgAAAAAAAAAAAAAAAQAAAAAAAAA="
        ));
        assert!(!same_hash(
            "SgAAAAAAAAAAAAAAAQAAAAAAAAA=",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
        ));
    }
}
