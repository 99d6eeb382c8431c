//! Tokens as a model counts them: the tokenizers Loadscope ships (OpenAI's BPE encodings, embedded
//! and run by tiktoken-rs offline), how a chat prompt's tokens are counted, distributions of token
//! counts, and synthetic prompts of an exact length built from a shipped corpus. A leaf: it
//! imports nothing of the crate.

pub(crate) mod dist;
pub(crate) mod synthetic;
mod table;

use std::sync::OnceLock;

use tiktoken_rs::CoreBPE;

pub use dist::TokenDist;
pub(crate) use synthetic::SyntheticPrompts;

/// A shipped tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tokenizer {
    /// GPT-4o, GPT-4.1, o-series (and a fair stand-in for most recent models).
    #[default]
    O200kBase,
    /// GPT-4, GPT-3.5.
    Cl100kBase,
}

impl Tokenizer {
    pub const ALL: [Tokenizer; 2] = [Tokenizer::O200kBase, Tokenizer::Cl100kBase];

    /// The name written in a preset.
    pub fn name(self) -> &'static str {
        match self {
            Tokenizer::O200kBase => "o200k_base",
            Tokenizer::Cl100kBase => "cl100k_base",
        }
    }

    pub fn from_name(name: &str) -> Option<Tokenizer> {
        Tokenizer::ALL.into_iter().find(|tokenizer| tokenizer.name() == name)
    }

    /// The encoding, built once per process (about a hundred milliseconds the first time).
    fn bpe(self) -> &'static CoreBPE {
        static O200K_BASE: OnceLock<CoreBPE> = OnceLock::new();
        static CL100K_BASE: OnceLock<CoreBPE> = OnceLock::new();
        let (cell, table) = match self {
            Tokenizer::O200kBase => (&O200K_BASE, &table::O200K_BASE),
            Tokenizer::Cl100kBase => (&CL100K_BASE, &table::CL100K_BASE),
        };
        // The tables are part of the binary and their tests check every token, so a failure here
        // is a damaged install, not bad input.
        cell.get_or_init(|| table.encoding().unwrap_or_else(|err| panic!("{err}")))
    }

    /// The tokens of `text` (special tokens read as text).
    pub fn encode(self, text: &str) -> Vec<u32> {
        self.bpe().encode_ordinary(text)
    }

    /// How many tokens `text` is.
    pub fn count(self, text: &str) -> u64 {
        self.encode(text).len() as u64
    }

    /// The text of `tokens`; None when they split a character (never for an ASCII corpus).
    pub fn decode(self, tokens: &[u32]) -> Option<String> {
        self.bpe().decode(tokens).ok()
    }

    /// One chat message's prompt tokens: its role and content plus the framing.
    pub fn message_tokens(self, role: &str, content: &str) -> u64 {
        CHAT_TOKENS_PER_MESSAGE + self.count(role) + self.count(content)
    }

    /// The prompt tokens of a chat request as OpenAI counts them: each message is its role and
    /// content plus 3 tokens of framing, and the reply is primed with 3 more.
    pub fn chat_prompt_tokens<'a>(self, messages: impl IntoIterator<Item = (&'a str, &'a str)>) -> u64 {
        messages
            .into_iter()
            .map(|(role, content)| self.message_tokens(role, content))
            .sum::<u64>()
            + CHAT_REPLY_PRIMING_TOKENS
    }
}

/// Framing tokens around each chat message (`<|start|>role<|message|>...<|end|>`).
pub(crate) const CHAT_TOKENS_PER_MESSAGE: u64 = 3;
/// Tokens that prime the assistant's reply.
pub(crate) const CHAT_REPLY_PRIMING_TOKENS: u64 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_text_and_chat_prompts_as_openai_does() {
        // Reference counts from OpenAI's tiktoken (Python) for the same strings.
        assert_eq!(Tokenizer::Cl100kBase.count("hello world"), 2);
        assert_eq!(Tokenizer::O200kBase.count("hello world"), 2);
        assert_eq!(Tokenizer::Cl100kBase.count("tiktoken is great!"), 6);
        // The cookbook's framing: 3 per message, its role and content, 3 to prime the reply.
        let counted = Tokenizer::O200kBase.chat_prompt_tokens([("system", "Be brief."), ("user", "hello world")]);
        let by_hand = 3 + 1 + Tokenizer::O200kBase.count("Be brief.") + 3 + 1 + 2 + 3;
        assert_eq!(counted, by_hand);
        assert_eq!(Tokenizer::from_name("cl100k_base"), Some(Tokenizer::Cl100kBase));
        assert_eq!(Tokenizer::from_name("gpt2"), None);
    }
}
