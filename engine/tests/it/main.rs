//! The engine's integration tests, one binary (each test binary links the whole engine again).

mod bad_input;
mod formats;
mod fuzz_regressions;
