//! Multi-turn chat: a user continues its conversation with a chat task for a drawn number of
//! turns, each reply appended to the history it sends next (the KV-cache reuse pattern of real
//! chat apps). The next user message is the dataset conversation's next human turn, a new
//! synthetic prompt, or the task's last user message rendered again. A failed turn ends the
//! conversation; the next request starts a new one.

/// One user's conversation with one chat task.
#[derive(Debug, Clone, Default)]
pub struct ChatSession {
    /// Turns the conversation will have; 0 before it starts.
    pub turns: u32,
    /// Turns completed so far.
    pub turn: u32,
    /// The dataset conversation it replays, when the task reads a dataset.
    pub conversation: Option<usize>,
    /// (role, content) of the completed turns: user, assistant, user, assistant...
    pub history: Vec<(String, String)>,
    /// The history's prompt tokens (3 framing tokens, the role and the content each).
    pub history_tokens: u64,
}

impl ChatSession {
    /// Whether a conversation is under way (it has turns left).
    pub fn active(&self) -> bool {
        self.turns > 0 && self.turn < self.turns
    }

    /// A turn came back: its user message and the reply join the history (`counted` is each
    /// message's framed token count). The conversation ends after its last turn.
    pub fn complete_turn(&mut self, user_text: String, reply_text: String, counted: impl Fn(&str, &str) -> u64) {
        self.history_tokens += counted("user", &user_text) + counted("assistant", &reply_text);
        self.history.push(("user".into(), user_text));
        self.history.push(("assistant".into(), reply_text));
        self.turn += 1;
        if self.turn >= self.turns {
            self.end();
        }
    }

    /// Ends the conversation (after its last turn, or a failure): the next request starts anew.
    pub fn end(&mut self) {
        *self = ChatSession::default();
    }
}

/// A user's conversations, one per multi-turn chat task (by task index).
#[derive(Debug, Default)]
pub struct Conversations {
    sessions: Vec<(usize, ChatSession)>,
}

impl Conversations {
    /// The conversation with `task`, started empty the first time.
    pub fn with(&mut self, task: usize) -> &mut ChatSession {
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

    #[test]
    fn a_conversation_grows_by_each_turn_and_ends_after_its_last() {
        let mut conversations = Conversations::default();
        let session = conversations.with(2);
        assert!(!session.active());
        session.turns = 2;
        assert!(session.active());
        let count = |role: &str, content: &str| 3 + role.len() as u64 + content.len() as u64;
        session.complete_turn("hi".into(), "hello".into(), count);
        assert_eq!(session.history.len(), 2);
        assert_eq!(session.history_tokens, (3 + 4 + 2) + (3 + 9 + 5));
        assert!(session.active());
        session.complete_turn("more".into(), "sure".into(), count);
        assert!(!session.active(), "two turns, then a new conversation");
        assert!(session.history.is_empty());
        assert!(!conversations.with(3).active(), "each task has its own conversation");
    }
}
