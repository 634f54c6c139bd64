//! Detectors: each turns features into a 0–1 score and findings with reasons.

pub mod dbscan;
pub mod evidence;
pub mod isolation_forest;
pub mod population;
pub mod rules;
pub mod statistical;
