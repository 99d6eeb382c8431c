//! Synthetic prompts of an exact token count, cut from a shipped corpus (`assets/corpus.txt`,
//! prose written for Loadscope and dedicated to the public domain). A prompt of N tokens is the
//! shared prefix (the corpus's first P tokens, the same in every prompt, for testing prefix
//! caches) followed by N - P tokens read from a seeded offset in the corpus (wrapping at its
//! end), so prompts differ right after the prefix. The pool is built once, before the run:
//! choosing a prompt per request costs nothing.

use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::{TokenDist, Tokenizer};

/// The corpus prompts are cut from.
const CORPUS: &str = include_str!("../../assets/corpus.txt");

/// Prompts built per distinct draw; requests pick among them.
pub(crate) const POOL_SIZE: usize = 256;

/// A pool of prompts whose lengths follow a distribution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntheticPrompts {
    /// Each prompt's text and its token count.
    pub prompts: Vec<(String, u64)>,
}

/// Prompts that could not be cut: the shortest is not longer than their shared prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("prompts of {shortest} tokens are not longer than the shared prefix of {prefix} tokens; make every prompt longer than the prefix")]
pub(crate) struct PrefixTooLong {
    pub shortest: u32,
    pub prefix: u32,
}

impl SyntheticPrompts {
    /// `POOL_SIZE` prompts of `lengths` tokens each (the first `prefix_tokens` shared), drawn
    /// with `seed`. Fails when a length is not longer than the prefix.
    pub(crate) fn build(
        tokenizer: Tokenizer,
        lengths: &TokenDist,
        prefix_tokens: u32,
        seed: u64,
    ) -> Result<SyntheticPrompts, PrefixTooLong> {
        if lengths.min() <= prefix_tokens {
            return Err(PrefixTooLong {
                shortest: lengths.min(),
                prefix: prefix_tokens,
            });
        }
        let corpus = tokenizer.encode(CORPUS);
        let mut rng = SmallRng::seed_from_u64(seed);
        let prefix = cut(tokenizer, &corpus, 0, prefix_tokens as usize);
        let mut prompts = Vec::with_capacity(POOL_SIZE);
        for _ in 0..POOL_SIZE {
            let length = lengths.sample(&mut rng);
            let offset = rand::RngExt::random_range(&mut rng, 0..corpus.len());
            prompts.push(exact(tokenizer, &corpus, &prefix, offset, length as usize));
        }
        Ok(SyntheticPrompts { prompts })
    }

    /// The prompt for a request, picked by a hash of who sends it and when.
    pub(crate) fn pick(&self, key: u64) -> &(String, u64) {
        &self.prompts[(key % self.prompts.len() as u64) as usize]
    }
}

/// `count` corpus tokens from `offset`, wrapping, as text.
fn cut(tokenizer: Tokenizer, corpus: &[u32], offset: usize, count: usize) -> String {
    let tokens: Vec<u32> = corpus.iter().cycle().skip(offset).take(count).copied().collect();
    tokenizer.decode(&tokens).unwrap_or_default()
}

/// The prefix and then corpus text from `offset`, adjusted until it is exactly `length` tokens:
/// where two cuts meet, their tokens can merge, so the body is lengthened or shortened a token
/// at a time and counted again.
fn exact(tokenizer: Tokenizer, corpus: &[u32], prefix: &str, offset: usize, length: usize) -> (String, u64) {
    let prefix_count = if prefix.is_empty() { 0 } else { tokenizer.count(prefix) as usize };
    let mut body_tokens = length.saturating_sub(prefix_count);
    let mut best = (String::new(), 0u64);
    for _ in 0..16 {
        let text = format!("{prefix}{}", cut(tokenizer, corpus, offset, body_tokens));
        let count = tokenizer.count(&text);
        if count as usize == length {
            return (text, count);
        }
        best = (text, count);
        if (count as usize) < length {
            body_tokens += length - count as usize;
        } else {
            body_tokens = body_tokens.saturating_sub(count as usize - length).max(1);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_have_their_exact_length_share_the_prefix_and_repeat_with_the_seed() {
        let lengths = TokenDist::Uniform { min: 40, max: 3000 };
        let pool = SyntheticPrompts::build(Tokenizer::O200kBase, &lengths, 32, 9).expect("prompts");
        assert_eq!(pool.prompts.len(), POOL_SIZE);
        let prefix = &pool.prompts[0].0[..60];
        for (text, count) in &pool.prompts {
            assert_eq!(Tokenizer::O200kBase.count(text), *count, "the count is the tokenizer's");
            assert!((40..=3000).contains(count), "{count} tokens");
            assert!(text.starts_with(prefix), "every prompt starts with the shared prefix");
        }
        // Prompts longer than the corpus wrap around it; the lengths follow the distribution.
        assert!(pool.prompts.iter().any(|(_, count)| *count > 2500));
        assert_eq!(
            pool,
            SyntheticPrompts::build(Tokenizer::O200kBase, &lengths, 32, 9).expect("prompts")
        );
        assert_ne!(
            pool,
            SyntheticPrompts::build(Tokenizer::O200kBase, &lengths, 32, 10).expect("prompts")
        );
        for length in [17, 500, 1999] {
            let fixed = SyntheticPrompts::build(Tokenizer::Cl100kBase, &TokenDist::Fixed(length), 8, 3).expect("prompts");
            assert!(
                fixed.prompts.iter().all(|(_, count)| *count == u64::from(length)),
                "{length} tokens exactly"
            );
        }
        let error = SyntheticPrompts::build(Tokenizer::Cl100kBase, &TokenDist::Fixed(16), 16, 1)
            .expect_err("too long a prefix")
            .to_string();
        assert!(error.contains("not longer than the shared prefix of 16 tokens"), "{error}");
    }
}
