//! Segments: `--segment i/n` runs the i-th of n deterministic shares of every level, so n
//! processes (n pods of a Kubernetes Job) together send the preset's load. Users, spawn rates,
//! arrival rates and in-flight caps are split so the shares add up exactly.

use super::CompiledPreset;
use crate::measure::LoadModel;

/// One share of n: `index` counts from 0 (as Kubernetes' `JOB_COMPLETION_INDEX` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    pub index: u32,
    pub count: u32,
}

/// The most segments one run can have.
pub(crate) const MAX_SEGMENTS: u32 = 1024;

/// Why `--segment` cannot be used as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    #[error("{0:?} is not i/n; {USAGE}")]
    NotAFraction(String),
    #[error("{0:?} is not two whole numbers; {USAGE}")]
    NotNumbers(String),
    #[error("{0:?}: n must be 1 to {MAX_SEGMENTS}")]
    Count(String),
    #[error("{0:?}: i must be below n (segments count from 0); {USAGE}")]
    Index(String),
    #[error(
        "--segment: scenario {0:?} runs a capacity search, whose steps each depend on the whole load's last one; run it in one process, or give it fixed levels"
    )]
    CapacitySearch(String),
}

const USAGE: &str = "write i/n with 0 <= i < n, e.g. 0/4 for the first of four (Kubernetes: $JOB_COMPLETION_INDEX/4)";

impl Segment {
    /// Parses `i/n`: `0/4` to `3/4`.
    pub fn parse(text: &str) -> Result<Segment, SegmentError> {
        let (index, count) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| SegmentError::NotAFraction(text.to_string()))?;
        let (Ok(index), Ok(count)) = (index.trim().parse::<u32>(), count.trim().parse::<u32>()) else {
            return Err(SegmentError::NotNumbers(text.to_string()));
        };
        if count == 0 || count > MAX_SEGMENTS {
            return Err(SegmentError::Count(text.to_string()));
        }
        if index >= count {
            return Err(SegmentError::Index(text.to_string()));
        }
        Ok(Segment { index, count })
    }

    /// This segment's share of `total` whole things: `total / n`, and one more for the first
    /// `total % n` segments, so the shares add up to `total`.
    pub fn share(self, total: u32) -> u32 {
        total / self.count + u32::from(self.index < total % self.count)
    }

    /// A user id that no other segment uses: ids interleave (`id * n + i`), so together the
    /// segments' users are numbered as one process's would be, and per-user draws (prompts,
    /// data pool picks, template seeds) differ between segments.
    pub fn user_id(self, local: u64) -> u64 {
        local * u64::from(self.count) + u64::from(self.index)
    }

    /// Splits every level of `preset` into this segment's share. A capacity search cannot be
    /// split: each step depends on the one before, as measured by the whole load.
    pub fn apply(self, preset: &mut CompiledPreset) -> Result<(), SegmentError> {
        for scenario in &mut preset.scenarios {
            if scenario.capacity.is_some() {
                return Err(SegmentError::CapacitySearch(scenario.name.clone()));
            }
            for level in &mut scenario.levels {
                level.load = self.split(level.load);
            }
        }
        Ok(())
    }

    fn split(self, load: LoadModel) -> LoadModel {
        match load {
            LoadModel::Closed { users, spawn_rate } => {
                let share = self.share(users);
                LoadModel::Closed {
                    users: share,
                    // The same ramp time as the whole level: each segment spawns its share as
                    // fast as the whole would spawn its users.
                    spawn_rate: spawn_rate.map(|rate| {
                        if users == 0 {
                            rate
                        } else {
                            rate * f64::from(share) / f64::from(users)
                        }
                    }),
                }
            }
            LoadModel::Open {
                rate_per_sec,
                max_in_flight,
            } => LoadModel::Open {
                rate_per_sec: rate_per_sec / f64::from(self.count),
                max_in_flight: self.share(max_in_flight).max(1),
            },
        }
    }
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_exactly() {
        for (total, count) in [(10u32, 4u32), (3, 4), (0, 3), (100, 7), (1, 1)] {
            let shares: Vec<u32> = (0..count).map(|index| Segment { index, count }.share(total)).collect();
            assert_eq!(shares.iter().sum::<u32>(), total, "{total} over {count}: {shares:?}");
            assert!(shares.iter().max().unwrap_or(&0) - shares.iter().min().unwrap_or(&0) <= 1);
        }
        let closed = (0..4)
            .map(|index| {
                Segment { index, count: 4 }.split(LoadModel::Closed {
                    users: 10,
                    spawn_rate: Some(5.0),
                })
            })
            .collect::<Vec<_>>();
        let spawn: f64 = closed
            .iter()
            .map(|load| match load {
                LoadModel::Closed { spawn_rate, .. } => spawn_rate.unwrap_or(0.0),
                LoadModel::Open { .. } => 0.0,
            })
            .sum();
        assert!((spawn - 5.0).abs() < 1e-9, "{spawn}");
        let open = Segment { index: 1, count: 4 }.split(LoadModel::Open {
            rate_per_sec: 100.0,
            max_in_flight: 10,
        });
        assert_eq!(
            open,
            LoadModel::Open {
                rate_per_sec: 25.0,
                max_in_flight: 3
            }
        );
    }

    #[test]
    fn user_ids_interleave_without_clashes() {
        let ids: std::collections::BTreeSet<u64> = (0..3)
            .flat_map(|index| (0..5).map(move |local| Segment { index, count: 3 }.user_id(local)))
            .collect();
        assert_eq!(ids.len(), 15);
        assert_eq!(ids.iter().max(), Some(&14));
    }

    #[test]
    fn bad_segments_say_how_to_write_one() {
        assert_eq!(Segment::parse("2/4"), Ok(Segment { index: 2, count: 4 }));
        for bad in ["4/4", "1", "a/b", "0/0", "-1/4"] {
            let err = Segment::parse(bad).expect_err(bad).to_string();
            assert!(err.contains(bad), "{err}");
        }
        assert!(
            Segment::parse("4/4")
                .expect_err("out of range")
                .to_string()
                .contains("count from 0")
        );
    }
}
