//! Multi-turn chat: a user continues its conversation with a chat task for a drawn number of
//! turns, each reply appended to the history it sends next (the KV-cache reuse pattern of real
//! chat apps). The next user message is the dataset conversation's next human turn, a new
//! synthetic prompt, or the task's last user message rendered again. A failed turn ends the
//! conversation; the next request starts a new one.
//!
//! The history is capped at the task's `max_history_tokens`, the oldest exchanges dropped
//! first, as chat clients do when a conversation outgrows the model's context. Each exchange's
//! tokens are counted once, when it joins the history.

use std::collections::VecDeque;

use crate::tokens::{CHAT_TOKENS_PER_MESSAGE, Tokenizer};

/// One completed turn: the user's message and the reply, with their prompt tokens (each
/// message's role and content plus its framing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub user: String,
    pub reply: String,
    pub tokens: u64,
}

/// A turn's user message as sent, with its prompt tokens, kept while its reply is awaited
/// (only when a later turn will send it again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTurn {
    pub text: String,
    pub tokens: u64,
}

/// The exchange a turn and its reply make. The reply's tokens are the server's `usage` count
/// when it sent one (a reasoning model's count includes its reasoning, so the history reads a
/// little longer than it is); the tokenizer counts the reply only when the server did not say.
pub(crate) fn exchange(turn: UserTurn, reply: String, usage_tokens: Option<u64>, tokenizer: Tokenizer) -> Exchange {
    let reply_tokens = match usage_tokens {
        Some(tokens) => CHAT_TOKENS_PER_MESSAGE + tokenizer.count("assistant") + tokens,
        None => tokenizer.message_tokens("assistant", &reply),
    };
    Exchange {
        user: turn.text,
        reply,
        tokens: turn.tokens + reply_tokens,
    }
}

/// One user's conversation with one chat task.
#[derive(Debug, Clone, Default)]
pub struct ChatSession {
    /// Turns the conversation will have; 0 before it starts.
    pub turns: u32,
    /// Turns completed so far.
    pub turn: u32,
    /// The dataset conversation it replays, when the task reads a dataset.
    pub conversation: Option<usize>,
    /// The exchanges it sends again, oldest first (the oldest may have been dropped).
    pub history: VecDeque<Exchange>,
    /// The history's prompt tokens: the sum of its exchanges' tokens.
    pub history_tokens: u64,
}

impl ChatSession {
    /// Whether a conversation is under way (it has turns left).
    pub fn active(&self) -> bool {
        self.turns > 0 && self.turn < self.turns
    }

    /// Whether the turn being sent is followed by another: only then does its reply join a
    /// history (and is it kept and counted at all).
    pub fn has_next_turn(&self) -> bool {
        self.turn.saturating_add(1) < self.turns
    }

    /// A turn came back: the exchange joins the history, and the oldest exchanges leave it
    /// while it holds more than `max_history_tokens`. The conversation ends after its last turn.
    pub fn complete_turn(&mut self, exchange: Exchange, max_history_tokens: u64) {
        self.history_tokens += exchange.tokens;
        self.history.push_back(exchange);
        while self.history_tokens > max_history_tokens {
            let Some(oldest) = self.history.pop_front() else { break };
            self.history_tokens -= oldest.tokens;
        }
        self.turn += 1;
        if self.turn >= self.turns {
            self.end();
        }
    }

    /// The history as chat messages: user, assistant, user, assistant...
    pub fn messages(&self) -> impl Iterator<Item = (&str, &str)> {
        self.history
            .iter()
            .flat_map(|exchange| [("user", exchange.user.as_str()), ("assistant", exchange.reply.as_str())])
    }

    /// Ends the conversation (after its last turn, or a failure): the next request starts anew.
    pub fn end(&mut self) {
        *self = ChatSession::default();
    }
}

/// A user's conversations, one per multi-turn chat task (by task index).
#[derive(Debug, Default)]
pub(crate) struct Conversations {
    sessions: Vec<(usize, ChatSession)>,
}

impl Conversations {
    /// The conversation with `task`, started empty the first time.
    pub(crate) fn with(&mut self, task: usize) -> &mut ChatSession {
        let index = match self.sessions.iter().position(|(known, _)| *known == task) {
            Some(index) => index,
            None => {
                self.sessions.push((task, ChatSession::default()));
                self.sessions.len() - 1
            }
        };
        &mut self.sessions[index].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(user: &str, reply: &str, tokens: u64) -> Exchange {
        Exchange {
            user: user.into(),
            reply: reply.into(),
            tokens,
        }
    }

    #[test]
    fn a_conversation_grows_by_each_turn_and_ends_after_its_last() {
        let mut conversations = Conversations::default();
        let session = conversations.with(2);
        assert!(!session.active());
        session.turns = 2;
        assert!(session.active());
        assert!(session.has_next_turn());
        session.complete_turn(exchange("hi", "hello", 20), u64::MAX);
        assert_eq!(session.messages().collect::<Vec<_>>(), [("user", "hi"), ("assistant", "hello")]);
        assert_eq!(session.history_tokens, 20);
        assert!(session.active());
        assert!(!session.has_next_turn(), "the second turn is the last");
        session.complete_turn(exchange("more", "sure", 20), u64::MAX);
        assert!(!session.active(), "two turns, then a new conversation");
        assert!(session.history.is_empty());
        assert!(!conversations.with(3).active(), "each task has its own conversation");
    }

    #[test]
    fn a_single_turn_conversation_has_no_next_turn() {
        let session = ChatSession {
            turns: 1,
            ..ChatSession::default()
        };
        assert!(session.active());
        assert!(!session.has_next_turn(), "its reply never joins a history");
    }

    #[test]
    fn the_oldest_exchanges_leave_a_history_over_its_cap() {
        let mut session = ChatSession {
            turns: 10,
            ..ChatSession::default()
        };
        session.complete_turn(exchange("one", "a", 30), 100);
        session.complete_turn(exchange("two", "b", 30), 100);
        session.complete_turn(exchange("three", "c", 30), 100);
        assert_eq!(session.history_tokens, 90);
        session.complete_turn(exchange("four", "d", 30), 100);
        assert_eq!(session.history_tokens, 90, "the first exchange left");
        let users: Vec<&str> = session.history.iter().map(|exchange| exchange.user.as_str()).collect();
        assert_eq!(users, ["two", "three", "four"]);
        session.complete_turn(exchange("huge", "e", 500), 100);
        assert!(session.history.is_empty(), "an exchange over the cap on its own leaves too");
        assert_eq!(session.history_tokens, 0);
        assert_eq!(session.turn, 5, "the conversation goes on");
    }
}
