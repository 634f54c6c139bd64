//! Arbitrary bytes read as `Some(Format::Auth0)` (see `engine_fuzz::read_as`).
#![no_main]

use engine::ingest::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| engine_fuzz::read_as(data, Some(Format::Auth0)));
