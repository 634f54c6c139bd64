//! Sky Trace's detection engine.
//!
//! A pure library (no I/O frameworks, no clock, no global state) that compiles for native targets
//! and for `wasm32-unknown-unknown`, so the server and the browser run the same code on the same
//! input and get the same answer.
//!
//! Stages, each a typed value:
//! raw CSV row → [`LoginEvent`] (validated, [`ingest`]) → dataset facts ([`profile`]).

pub mod event;
pub mod ingest;
pub mod profile;
pub mod time;

pub use event::LoginEvent;
pub use ingest::{IngestError, IngestOptions, Ingested, RejectReason, Rejection, read_csv};
pub use profile::{DataProfile, RejectedRow, profile_csv};
