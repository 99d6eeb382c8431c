//! Demo stack.
