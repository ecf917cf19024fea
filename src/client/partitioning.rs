//! How publishes pick partitions ([`Partitioner`]), and the error for a partition a topic
//! does not have.

use serde::Serialize;

use super::{ClientError, TopicName};

/// How a publish spreads messages over a topic's partitions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Partitioner {
    /// The protocol's own client (Go): 4.x hashes every key, the empty one too, so unkeyed
    /// messages all land in one partition; 2.x hashes keys, unkeyed ones go round robin.
    // 4.x: MD5 onto the 2520-slot ring, the empty key is slot 63 (the first partition).
    #[default]
    Hash,
    /// Partition 0, 1, 2, … in turn, whatever the key.
    RoundRobin,
    /// A uniformly random partition per message, whatever the key.
    Random,
}

/// Picks partitions for a [`Partitioner`]: returns an index into `0..n` for the two
/// key-blind rules, `None` for [`Partitioner::Hash`] (the protocol's key rule decides).
#[derive(Debug, Clone)]
pub struct PartitionPicker {
    rule: Partitioner,
    next: u64,
    rng: u64,
}

impl PartitionPicker {
    /// A picker; the random rule is seeded from the clock and the process id.
    pub fn new(rule: Partitioner) -> Self {
        let seed = (crate::time::now_ns() as u64) ^ (u64::from(std::process::id()) << 32);
        PartitionPicker {
            rule,
            next: 0,
            rng: seed | 1,
        }
    }

    /// The rule.
    pub fn rule(&self) -> Partitioner {
        self.rule
    }

    /// The index of the next message's partition among `n` (`None`: hash its key).
    pub fn pick(&mut self, n: usize) -> Option<usize> {
        let n = n.max(1) as u64;
        match self.rule {
            Partitioner::Hash => None,
            Partitioner::RoundRobin => {
                let i = self.next % n;
                self.next = self.next.wrapping_add(1);
                Some(i as usize)
            }
            Partitioner::Random => {
                // splitmix64, then a multiply-shift into 0..n (uniform enough for load).
                self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = self.rng;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^= z >> 31;
                Some(((u128::from(z) * u128::from(n)) >> 64) as usize)
            }
        }
    }
}

/// The error for a partition number a topic does not have: `partition 4: a/b has
/// partitions 0..3` (ranges are inclusive, as people read them).
pub fn no_such_partition(topic: &TopicName, p: i32, count: usize) -> ClientError {
    let has = match count {
        0 => "no partitions".to_string(),
        1 => "only partition 0".to_string(),
        n => format!("partitions 0..{}", n - 1),
    };
    ClientError::invalid("partition", format!("{p}: {topic} has {has}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_ranges_are_inclusive() {
        let t = TopicName::parse("a/b").unwrap();
        let e = no_such_partition(&t, 4, 4).to_string();
        assert_eq!(e, "invalid partition: 4: a/b has partitions 0..3");
        let e = no_such_partition(&t, 1, 1).to_string();
        assert_eq!(e, "invalid partition: 1: a/b has only partition 0");
    }

    #[test]
    fn pickers_spread() {
        let mut rr = PartitionPicker::new(Partitioner::RoundRobin);
        let v: Vec<_> = (0..6).map(|_| rr.pick(4).unwrap()).collect();
        assert_eq!(v, [0, 1, 2, 3, 0, 1]);
        assert_eq!(PartitionPicker::new(Partitioner::Hash).pick(4), None);
        let mut r = PartitionPicker::new(Partitioner::Random);
        let mut seen = [0u32; 4];
        for _ in 0..4000 {
            seen[r.pick(4).unwrap()] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
    }
}
