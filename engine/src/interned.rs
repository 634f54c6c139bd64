//! Names the engine compares by value but keeps as `&'static str` (browser and OS families from
//! the user-agent rules), read back from kept state: each distinct name is allocated once per
//! process, so reading state many times does not grow memory.

use std::sync::{Mutex, OnceLock};

use rustc_hash::FxHashSet as HashSet;
use serde::{Deserialize, Deserializer};

/// A name compared by value, kept as `&'static str`; fields of this type are read back with
/// [`name`] (serde would otherwise borrow them from the input, tying it to `'static`).
pub(crate) type Name = &'static str;

/// The one `&'static str` holding `name`.
pub(crate) fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// For `#[serde(deserialize_with)]` on a `&'static str` field.
pub(crate) fn name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<&'static str, D::Error> {
    let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
    Ok(intern(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_allocated_once() {
        let first = intern(&String::from("Firefox"));
        let second = intern(&String::from("Firefox"));
        assert_eq!(first, "Firefox");
        assert!(std::ptr::eq(first, second));
    }
}
