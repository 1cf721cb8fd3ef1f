//! quickXorHash, the content hash every OneDrive/SharePoint drive reports.
//!
//! Byte `i` of the input is XORed into a 160-bit accumulator rotated left by `(i * 11) mod 160`
//! bits. Because 11 and 160 are coprime the shift pattern repeats every 160 bytes, so the hot
//! loop only XORs each byte into one of 160 byte buckets (`bucket[i mod 160]`); the rotation is
//! applied once per bucket when the hash is finished.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

const WIDTH_BITS: usize = 160;
const WIDTH_BYTES: usize = WIDTH_BITS / 8;
const SHIFT: usize = 11;

/// Incremental quickXorHash state (small and serialisable, so an upload session can keep it).
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct QuickXor {
    #[serde(with = "bucket_serde")]
    buckets: [u8; WIDTH_BITS],
    length: u64,
}

impl std::fmt::Debug for QuickXor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuickXor")
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

impl Default for QuickXor {
    fn default() -> Self {
        Self {
            buckets: [0; WIDTH_BITS],
            length: 0,
        }
    }
}

impl QuickXor {
    /// A fresh hasher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes hashed so far.
    pub fn len(&self) -> u64 {
        self.length
    }

    /// Whether nothing was hashed yet.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Feeds more input.
    pub fn update(&mut self, mut data: &[u8]) {
        let mut pos = (self.length % WIDTH_BITS as u64) as usize;
        self.length += data.len() as u64;
        // Align to a bucket boundary, then XOR whole 160-byte blocks.
        if pos != 0 {
            let take = (WIDTH_BITS - pos).min(data.len());
            for (b, d) in self.buckets[pos..pos + take].iter_mut().zip(&data[..take]) {
                *b ^= d;
            }
            data = &data[take..];
            pos = (pos + take) % WIDTH_BITS;
            if pos != 0 {
                return;
            }
        }
        let mut blocks = data.chunks_exact(WIDTH_BITS);
        for block in &mut blocks {
            for (b, d) in self.buckets.iter_mut().zip(block) {
                *b ^= d;
            }
        }
        let rest = blocks.remainder();
        for (b, d) in self.buckets.iter_mut().zip(rest) {
            *b ^= d;
        }
    }

    /// The 20-byte digest.
    pub fn digest(&self) -> [u8; WIDTH_BYTES] {
        let mut out = [0u8; WIDTH_BYTES];
        for (k, &value) in self.buckets.iter().enumerate() {
            if value == 0 {
                continue;
            }
            let shift = (k * SHIFT) % WIDTH_BITS;
            let byte = shift / 8;
            let bit = shift % 8;
            let wide = (value as u16) << bit;
            out[byte] ^= wide as u8;
            out[(byte + 1) % WIDTH_BYTES] ^= (wide >> 8) as u8;
        }
        for (o, l) in out[WIDTH_BYTES - 8..]
            .iter_mut()
            .zip(self.length.to_le_bytes())
        {
            *o ^= l;
        }
        out
    }

    /// The digest as Graph reports it: standard base64 with padding (28 characters).
    pub fn finish_base64(&self) -> String {
        STANDARD.encode(self.digest())
    }
}

/// Hashes a whole buffer.
pub fn quick_xor_base64(data: &[u8]) -> String {
    let mut h = QuickXor::new();
    h.update(data);
    h.finish_base64()
}

mod bucket_serde {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 160], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 160], D::Error> {
        let text = String::deserialize(d)?;
        let bytes = STANDARD
            .decode(text)
            .map_err(|e| serde::de::Error::custom(format!("quickXor state: {e}")))?;
        bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom("quickXor state: wrong length"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_vectors() {
        assert_eq!(quick_xor_base64(b""), "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        assert_eq!(quick_xor_base64(b"J"), "SgAAAAAAAAAAAAAAAQAAAAAAAAA=");
        assert_eq!(
            quick_xor_base64(&[0xB5, 0xB4]),
            "taAFAAAAAAAAAAAAAgAAAAAAAAA="
        );
        assert_eq!(
            quick_xor_base64(b"hello world"),
            "aCgDG9jwBhDc4Q1yawMZAAAAAAA="
        );
    }

    /// Bit-by-bit reference straight from the definition.
    fn reference(data: &[u8]) -> String {
        let mut bits = [false; 160];
        for (i, &b) in data.iter().enumerate() {
            let shift = (i * 11) % 160;
            for k in 0..8 {
                if b >> k & 1 == 1 {
                    let pos = (shift + k) % 160;
                    bits[pos] = !bits[pos];
                }
            }
        }
        let mut out = [0u8; 20];
        for (k, bit) in bits.iter().enumerate() {
            if *bit {
                out[k / 8] |= 1 << (k % 8);
            }
        }
        for (o, l) in out[12..].iter_mut().zip((data.len() as u64).to_le_bytes()) {
            *o ^= l;
        }
        STANDARD.encode(out)
    }

    #[test]
    fn matches_the_definition_for_any_split() {
        let data: Vec<u8> = (0..2000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let want = reference(&data);
        assert_eq!(quick_xor_base64(&data), want);
        for split in [1usize, 7, 159, 160, 161, 333, 1999] {
            let mut h = QuickXor::new();
            for chunk in data.chunks(split) {
                h.update(chunk);
            }
            assert_eq!(h.finish_base64(), want, "chunks of {split}");
        }
        let state = serde_json::to_string(&{
            let mut h = QuickXor::new();
            h.update(&data[..500]);
            h
        })
        .unwrap();
        let mut h: QuickXor = serde_json::from_str(&state).unwrap();
        h.update(&data[500..]);
        assert_eq!(h.finish_base64(), want);
    }
}
