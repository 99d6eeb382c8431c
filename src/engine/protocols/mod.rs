//! Request protocols. `http` is the raw hyper path every task kind stands on.

pub mod http;
