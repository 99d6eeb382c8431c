//! Run-to-run spread: one preset run N times (`loadscope run --repeat N`), each level's p95,
//! throughput and error rate as the lowest, median and highest over the runs. One run's 95%
//! intervals say how well it measured itself; a rerun of the same load on the same stack can
//! land further away (a warm cache, a neighbour on the host, GC). A comparison of two runs
//! that both have repeats uses this spread as its noise (see [`super::comparison`]).

use serde::Serialize;

use crate::run::RunRecord;

/// The lowest, median and highest of a number over the repeats.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Range {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Range {
    /// The range of `values`; None when there are none.
    pub fn of(values: &[f64]) -> Option<Range> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|value| value.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        let median = if sorted.len().is_multiple_of(2) {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        } else {
            sorted[middle]
        };
        Some(Range {
            min: sorted[0],
            median,
            max: sorted[sorted.len() - 1],
        })
    }

    /// Whether the two ranges share any value.
    pub fn overlaps(&self, other: &Range) -> bool {
        self.min <= other.max && other.min <= self.max
    }
}

/// One level over the repeats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelSpread {
    pub scenario: String,
    /// 0-based level index, and its name and load.
    pub level: usize,
    pub level_name: String,
    pub load: String,
    /// Repeats that ran this level with requests.
    pub runs: usize,
    pub p95_micros: Option<Range>,
    pub rps: Option<Range>,
    pub error_rate_percent: Option<Range>,
}

/// A preset's repeats and each level's spread over them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    pub preset: String,
    /// The repeat group's id (every run of it carries it).
    pub group: String,
    pub run_ids: Vec<String>,
    pub levels: Vec<LevelSpread>,
}

impl Spread {
    /// The spread of one level, by scenario name and level index.
    pub fn level(&self, scenario: &str, level: usize) -> Option<&LevelSpread> {
        self.levels
            .iter()
            .find(|spread| spread.scenario == scenario && spread.level == level)
    }
}

/// Each level's spread over `runs` (the repeats of one preset, in any order). Levels match by
/// scenario name and position; a level without requests in a run adds nothing from that run.
pub(crate) fn spread(group: &str, runs: &[&RunRecord]) -> Spread {
    let mut levels: Vec<LevelSpread> = Vec::new();
    for run in runs {
        for scenario in &run.scenarios {
            for level in &scenario.levels {
                if !levels
                    .iter()
                    .any(|known| known.scenario == scenario.name && known.level == level.index)
                {
                    levels.push(LevelSpread {
                        scenario: scenario.name.clone(),
                        level: level.index,
                        level_name: level.name.clone(),
                        load: level.load.brief(),
                        runs: 0,
                        p95_micros: None,
                        rps: None,
                        error_rate_percent: None,
                    });
                }
            }
        }
    }
    for spread in &mut levels {
        let measured: Vec<&crate::run::TaskStats> = runs
            .iter()
            .filter_map(|run| run.scenarios.iter().find(|scenario| scenario.name == spread.scenario))
            .filter_map(|scenario| scenario.levels.iter().find(|level| level.index == spread.level))
            .map(|level| &level.total.stats)
            .filter(|stats| stats.requests > 0)
            .collect();
        spread.runs = measured.len();
        let values = |value: fn(&crate::run::TaskStats) -> f64| measured.iter().map(|stats| value(stats)).collect::<Vec<f64>>();
        spread.p95_micros = Range::of(&values(|stats| stats.p95_micros as f64));
        spread.rps = Range::of(&values(|stats| stats.rps));
        spread.error_rate_percent = Range::of(&values(|stats| stats.error_rate_percent()));
    }
    Spread {
        preset: runs.first().map(|run| run.preset.name.clone()).unwrap_or_default(),
        group: group.to_string(),
        run_ids: runs.iter().map(|run| run.id.clone()).collect(),
        levels,
    }
}

/// The spread of the repeat group `run` belongs to, over the completed runs of that group in
/// `library`; None when the run is not a repeat or fewer than two of its group are there.
pub(crate) fn group_spread<'a>(run: &RunRecord, library: impl IntoIterator<Item = &'a RunRecord>) -> Option<Spread> {
    let group = &run.repeat.as_ref()?.group;
    let members: Vec<&RunRecord> = library
        .into_iter()
        .filter(|record| record.repeat.as_ref().is_some_and(|repeat| &repeat.group == group))
        .filter(|record| record.status == crate::run::RunStatus::Completed)
        .collect();
    (members.len() >= 2).then(|| spread(group, &members))
}

/// The spread of the repeat group `run` belongs to, from the runs saved in `dir` (its repeats
/// are saved together in the run library); None when it is not a repeat, or fewer than two
/// of its group are there. Reads the folder: call it off the UI thread.
pub(crate) fn spread_in_folder(run: &RunRecord, dir: &std::path::Path) -> Option<Spread> {
    let group = &run.repeat.as_ref()?.group;
    // Only the group's files are read whole; the rest of the folder is known by its summaries.
    let listing = crate::run::library::list(dir).ok()?;
    let library: Vec<RunRecord> = listing
        .summaries()
        .filter(|(_, summary)| summary.repeat.as_ref().is_some_and(|repeat| &repeat.group == group))
        .filter_map(|(path, _)| crate::run::load(path).ok())
        .collect();
    group_spread(run, &library)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_take_the_middle_and_overlap_at_their_ends() {
        let odd = Range::of(&[3.0, 1.0, 2.0]).expect("values");
        assert_eq!((odd.min, odd.median, odd.max), (1.0, 2.0, 3.0));
        let even = Range::of(&[4.0, 1.0, 2.0, 3.0]).expect("values");
        assert_eq!(even.median, 2.5);
        assert_eq!(Range::of(&[]), None);
        let touching = Range::of(&[3.0, 5.0]).expect("values");
        assert!(odd.overlaps(&touching));
        let apart = Range::of(&[3.5, 5.0]).expect("values");
        assert!(!odd.overlaps(&apart));
    }
}
