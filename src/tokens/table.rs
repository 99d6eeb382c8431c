//! OpenAI's BPE tables, embedded packed rather than as tiktoken-rs's text files: 1.4 MB in the
//! binary instead of 5.3 MB. `scripts/pack-tokenizers.py` writes them from tiktoken-rs's own
//! assets: the token count, each token's length, then the tokens' bytes in rank order, zlib
//! compressed. The tests check every token against tiktoken-rs's table.

use std::io::Read;

use rustc_hash::FxHashMap;
use tiktoken_rs::{CoreBPE, Rank};

/// One packed table and what turns it into an encoding.
pub(super) struct Table {
    pub(super) name: &'static str,
    packed: &'static [u8],
    pattern: &'static str,
    special_tokens: &'static [(&'static str, Rank)],
}

/// The split pattern of cl100k_base, as tiktoken-rs (and OpenAI's tiktoken) write it.
const CL100K_BASE_PATTERN: &str = "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++|\\p{N}{1,3}+| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*+|\\s++$|\\s*[\\r\\n]|\\s+(?!\\S)|\\s";

pub(super) const O200K_BASE: Table = Table {
    name: "o200k_base",
    packed: include_bytes!("../../assets/tokenizers/o200k_base.bin.zlib"),
    pattern: tiktoken_rs::O200K_BASE_PAT_STR,
    special_tokens: &[(tiktoken_rs::ENDOFTEXT, 199_999), (tiktoken_rs::ENDOFPROMPT, 200_018)],
};

pub(super) const CL100K_BASE: Table = Table {
    name: "cl100k_base",
    packed: include_bytes!("../../assets/tokenizers/cl100k_base.bin.zlib"),
    pattern: CL100K_BASE_PATTERN,
    special_tokens: &[
        (tiktoken_rs::ENDOFTEXT, 100_257),
        (tiktoken_rs::FIM_PREFIX, 100_258),
        (tiktoken_rs::FIM_MIDDLE, 100_259),
        (tiktoken_rs::FIM_SUFFIX, 100_260),
        (tiktoken_rs::ENDOFPROMPT, 100_276),
    ],
};

/// A shipped tokenizer that cannot be used: its packed table is damaged, or it does not build.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum TableError {
    #[error("the embedded {name} tokenizer table is damaged ({what}); reinstall Loadscope")]
    Damaged { name: &'static str, what: String },
    #[error("the embedded {name} tokenizer does not build: {why}")]
    DoesNotBuild { name: &'static str, why: String },
}

impl Table {
    /// The encoding (about a hundred milliseconds for o200k_base).
    pub(super) fn encoding(&self) -> Result<CoreBPE, TableError> {
        let special = self.special_tokens.iter().map(|&(text, rank)| (text.to_string(), rank)).collect();
        CoreBPE::new(self.ranks()?, special, self.pattern).map_err(|err| TableError::DoesNotBuild {
            name: self.name,
            why: err.to_string(),
        })
    }

    /// Token bytes to rank, unpacked.
    fn ranks(&self) -> Result<FxHashMap<Vec<u8>, Rank>, TableError> {
        let damaged = |what: &str| TableError::Damaged {
            name: self.name,
            what: what.to_string(),
        };
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(self.packed)
            .read_to_end(&mut raw)
            .map_err(|err| damaged(&err.to_string()))?;
        let (count, rest) = raw.split_first_chunk::<4>().ok_or_else(|| damaged("no token count"))?;
        let count = u32::from_le_bytes(*count) as usize;
        let (lengths, mut bytes) = rest.split_at_checked(count).ok_or_else(|| damaged("lengths cut short"))?;
        let mut ranks = FxHashMap::with_capacity_and_hasher(count, Default::default());
        for (rank, &length) in (0..).zip(lengths) {
            let (token, tail) = bytes
                .split_at_checked(usize::from(length))
                .ok_or_else(|| damaged("tokens cut short"))?;
            ranks.insert(token.to_vec(), rank);
            bytes = tail;
        }
        if !bytes.is_empty() || ranks.len() != count {
            return Err(damaged("token count does not match"));
        }
        Ok(ranks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rank decodes to the same bytes as tiktoken-rs's own table, and the first rank past
    /// the table (not a special token) is unknown to both.
    fn same_as_tiktoken(table: &Table, reference: &CoreBPE, count: Rank) {
        let ours = table.encoding().expect("the packed table builds");
        for rank in 0..count {
            assert_eq!(
                ours.decode_bytes(&[rank]).ok(),
                reference.decode_bytes(&[rank]).ok(),
                "{} rank {rank}",
                table.name
            );
        }
        assert!(ours.decode_bytes(&[count]).is_err() && reference.decode_bytes(&[count]).is_err());
        for &(text, rank) in table.special_tokens {
            assert_eq!(ours.decode_bytes(&[rank]).ok(), Some(text.as_bytes().to_vec()));
        }
        let corpus = include_str!("../../assets/corpus.txt");
        let text = format!("{corpus} 12345 ÄÖÜ straße 東京 🤖 \r\n\t  it's  <|endoftext|>");
        assert_eq!(ours.encode_ordinary(&text), reference.encode_ordinary(&text), "{}", table.name);
    }

    #[test]
    fn o200k_base_packed_is_tiktokens_table() {
        same_as_tiktoken(&O200K_BASE, tiktoken_rs::o200k_base_singleton(), 199_998);
    }

    #[test]
    fn cl100k_base_packed_is_tiktokens_table() {
        same_as_tiktoken(&CL100K_BASE, tiktoken_rs::cl100k_base_singleton(), 100_256);
    }

    #[test]
    fn a_damaged_table_says_so() {
        let damaged = Table {
            packed: &O200K_BASE.packed[..1000],
            ..O200K_BASE
        };
        let err = damaged.ranks().expect_err("a cut table is refused").to_string();
        assert!(err.contains("o200k_base") && err.contains("damaged"), "{err}");
    }
}
