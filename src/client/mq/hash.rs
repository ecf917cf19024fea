//! The Go client's partitioning of keys onto the 4.x ring.
//!
//! `h` = the first 4 bytes of MD5(key), big-endian, as a signed 32-bit integer;
//! `bucket = |h mod 2520|` with Go's remainder (truncating toward zero); the partition is
//! the one with `range_start ≤ bucket < range_stop`.

use md5::{Digest, Md5};

use super::Part;

/// Slots on the 4.x partition ring.
pub const RING_SIZE: i32 = 2520;

/// The signed 32-bit hash of a key (first 4 bytes of its MD5, big-endian).
pub fn key_hash(key: &[u8]) -> i32 {
    let d = Md5::digest(key);
    i32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// The ring slot of a key: `|h mod 2520|` (Rust's `%` truncates like Go's).
pub fn key_bucket(key: &[u8]) -> i32 {
    (key_hash(key) % RING_SIZE).abs()
}

/// The partition whose range holds the key's slot, if any.
pub fn partition_for<'a>(parts: &'a [Part], key: &[u8]) -> Option<&'a Part> {
    let b = key_bucket(key);
    parts
        .iter()
        .find(|p| p.ring.range_start <= b && b < p.ring.range_stop)
}

/// The ring ranges `ConfigureTopic` makes for `n` partitions:
/// `[i*⌊2520/n⌋, (i+1)*⌊2520/n⌋)`, the last stop forced to 2520.
pub fn ring_ranges(n: u32) -> Vec<(i32, i32)> {
    let n = n.clamp(1, RING_SIZE as u32) as i32;
    let w = RING_SIZE / n;
    (0..n)
        .map(|i| (i * w, if i == n - 1 { RING_SIZE } else { (i + 1) * w }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::RingRange;

    #[test]
    fn hashes_match_the_go_client_examples() {
        assert_eq!(key_hash(b"a"), 214005177);
        assert_eq!(key_bucket(b"a"), 1737);
        assert_eq!(key_hash(b"b"), -1830068226);
        assert_eq!(key_bucket(b"b"), 1386);
        assert_eq!(key_bucket(b""), 63);
    }

    #[test]
    fn buckets_stay_on_the_ring() {
        for i in 0..5000u32 {
            let b = key_bucket(&i.to_be_bytes());
            assert!((0..RING_SIZE).contains(&b), "{b}");
        }
    }

    #[test]
    fn ranges_cover_the_ring() {
        assert_eq!(ring_ranges(1), vec![(0, 2520)]);
        assert_eq!(ring_ranges(3), vec![(0, 840), (840, 1680), (1680, 2520)]);
        let r = ring_ranges(7);
        assert_eq!(r.last().unwrap().1, 2520);
        for w in r.windows(2) {
            assert_eq!(w[0].1, w[1].0);
        }
    }

    #[test]
    fn keys_land_in_the_range_holding_their_bucket() {
        let parts: Vec<Part> = ring_ranges(4)
            .into_iter()
            .enumerate()
            .map(|(i, (s, e))| Part {
                index: i as i32,
                ring: RingRange {
                    ring_size: RING_SIZE,
                    range_start: s,
                    range_stop: e,
                    unix_time_ns: 1,
                },
                leader: String::new(),
            })
            .collect();
        // 1737 is in [1260, 1890), 1386 too, 63 in [0, 630).
        assert_eq!(partition_for(&parts, b"a").unwrap().index, 2);
        assert_eq!(partition_for(&parts, b"b").unwrap().index, 2);
        assert_eq!(partition_for(&parts, b"").unwrap().index, 0);
    }
}
