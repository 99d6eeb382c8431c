//! A distribution of token counts (a prompt's length, a reply's `max_tokens`): fixed, uniform,
//! normal clipped to a range, or a histogram of weighted counts. Samples are drawn from a
//! seeded generator, so a run's lengths repeat with its seed.

use rand::RngExt;

/// How token counts are drawn. Every variant's counts are at least 1.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenDist {
    Fixed(u32),
    /// Every count from `min` to `max` equally likely.
    Uniform {
        min: u32,
        max: u32,
    },
    /// A normal distribution, rounded and clipped to `min..=max`.
    Normal {
        mean: f64,
        stddev: f64,
        min: u32,
        max: u32,
    },
    /// Counts with weights; (count, cumulative weight) in order.
    Histogram(Vec<(u32, f64)>),
}

impl TokenDist {
    /// A histogram from (count, weight) pairs; None when no weight is positive.
    pub fn histogram(buckets: &[(u32, f64)]) -> Option<TokenDist> {
        let mut cumulative = 0.0;
        let mut out = Vec::new();
        for &(count, weight) in buckets {
            if weight > 0.0 && weight.is_finite() {
                cumulative += weight;
                out.push((count, cumulative));
            }
        }
        (!out.is_empty()).then_some(TokenDist::Histogram(out))
    }

    /// One count.
    pub fn sample(&self, rng: &mut impl RngExt) -> u32 {
        match self {
            TokenDist::Fixed(count) => *count,
            TokenDist::Uniform { min, max } => rng.random_range(*min..=*max),
            TokenDist::Normal { mean, stddev, min, max } => {
                // Box-Muller: two uniforms to one standard normal.
                let u1: f64 = rng.random_range(f64::EPSILON..1.0);
                let u2: f64 = rng.random_range(0.0..1.0);
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                (mean + stddev * z).round().clamp(f64::from(*min), f64::from(*max)) as u32
            }
            TokenDist::Histogram(buckets) => {
                let total = buckets.last().map(|(_, cumulative)| *cumulative).unwrap_or(0.0);
                let roll = rng.random_range(0.0..total);
                buckets
                    .iter()
                    .find(|(_, cumulative)| roll < *cumulative)
                    .or(buckets.last())
                    .map(|(count, _)| *count)
                    .unwrap_or(1)
            }
        }
    }

    /// The smallest count it can draw.
    pub fn min(&self) -> u32 {
        match self {
            TokenDist::Fixed(count) => *count,
            TokenDist::Uniform { min, .. } | TokenDist::Normal { min, .. } => *min,
            TokenDist::Histogram(buckets) => buckets.iter().map(|(count, _)| *count).min().unwrap_or(1),
        }
    }

    /// The largest count it can draw.
    pub fn max(&self) -> u32 {
        match self {
            TokenDist::Fixed(count) => *count,
            TokenDist::Uniform { max, .. } | TokenDist::Normal { max, .. } => *max,
            TokenDist::Histogram(buckets) => buckets.iter().map(|(count, _)| *count).max().unwrap_or(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn samples_follow_their_distribution_and_repeat_with_the_seed() {
        let draw = |dist: &TokenDist, seed: u64| {
            let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
            (0..4000).map(|_| dist.sample(&mut rng)).collect::<Vec<u32>>()
        };
        let normal = TokenDist::Normal {
            mean: 500.0,
            stddev: 50.0,
            min: 400,
            max: 700,
        };
        let drawn = draw(&normal, 7);
        assert_eq!(drawn, draw(&normal, 7), "the same seed draws the same lengths");
        let mean = drawn.iter().map(|&n| f64::from(n)).sum::<f64>() / drawn.len() as f64;
        assert!((mean - 500.0).abs() < 5.0, "mean {mean}");
        assert!(drawn.iter().all(|&n| (400..=700).contains(&n)));
        let within_one_sd = drawn.iter().filter(|&&n| (450..=550).contains(&n)).count() as f64 / 4000.0;
        assert!((0.64..0.72).contains(&within_one_sd), "{within_one_sd} within one sd");

        let uniform = draw(&TokenDist::Uniform { min: 10, max: 20 }, 1);
        assert!(uniform.iter().all(|&n| (10..=20).contains(&n)));
        assert!(uniform.contains(&10) && uniform.contains(&20));

        let histogram = TokenDist::histogram(&[(100, 3.0), (1000, 1.0), (5, 0.0)]).expect("a positive weight");
        let drawn = draw(&histogram, 3);
        let long = drawn.iter().filter(|&&n| n == 1000).count() as f64 / 4000.0;
        assert!((0.22..0.28).contains(&long), "{long} long");
        assert!(drawn.iter().all(|&n| n == 100 || n == 1000), "a zero weight is never drawn");
        assert_eq!((histogram.min(), histogram.max()), (100, 1000));
        assert!(TokenDist::histogram(&[(5, 0.0)]).is_none());
    }
}
