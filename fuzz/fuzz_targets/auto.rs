//! Arbitrary bytes read as `None` (see `engine_fuzz::read_as`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| engine_fuzz::read_as(data, None));
