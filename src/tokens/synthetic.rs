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

/// The corpus as `tokenizer` reads it, encoded once per tokenizer for the process.
fn corpus_tokens(tokenizer: Tokenizer) -> &'static [u32] {
    static ENCODED: [std::sync::OnceLock<Vec<u32>>; 2] = [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    let slot = Tokenizer::ALL.iter().position(|known| *known == tokenizer).unwrap_or(0).min(1);
    ENCODED[slot].get_or_init(|| tokenizer.encode(CORPUS))
}

/// A prompt of about `input_tokens` tokens made of shared blocks (Mooncake's `hash_ids`):
/// each id stands for `block_tokens` corpus tokens from an offset of its own, so requests that
/// name the same ids begin with the same text (a prefix cache can reuse it), and what the
/// blocks leave is filled from an offset drawn from `filler_seed`. The last block is cut to the
/// length, as a trace's last block is partial.
pub(crate) fn block_prompt(tokenizer: Tokenizer, hash_ids: &[u64], block_tokens: u32, input_tokens: u32, filler_seed: u64) -> String {
    let corpus = corpus_tokens(tokenizer);
    let mut tokens: Vec<u32> = Vec::with_capacity(input_tokens as usize);
    let mut left = input_tokens as usize;
    let offset_of = |key: u64| {
        let mut z = key.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % corpus.len().max(1) as u64) as usize
    };
    for id in hash_ids {
        if left == 0 {
            break;
        }
        let take = left.min(block_tokens as usize);
        tokens.extend(corpus.iter().cycle().skip(offset_of(*id)).take(take));
        left -= take;
    }
    tokens.extend(corpus.iter().cycle().skip(offset_of(filler_seed ^ 0xF111_E700)).take(left));
    tokenizer.decode(&tokens).unwrap_or_default()
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
    fn block_prompts_share_text_where_they_share_hash_ids() {
        let tokenizer = Tokenizer::O200kBase;
        let first = block_prompt(tokenizer, &[7, 8], 64, 200, 1);
        let second = block_prompt(tokenizer, &[7, 8, 9], 64, 300, 2);
        let other = block_prompt(tokenizer, &[5], 64, 200, 1);
        let shared = block_prompt(tokenizer, &[7, 8], 64, 128, 0);
        assert!(first.starts_with(&shared[..shared.len() - 8]) && second.starts_with(&shared[..shared.len() - 8]));
        assert!(!other.starts_with(&shared[..40]));
        let count = tokenizer.count(&second) as i64;
        assert!((count - 300).abs() <= 4, "{count} tokens for 300");
    }

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
