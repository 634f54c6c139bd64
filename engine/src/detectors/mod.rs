//! Detectors: each turns features into a 0–1 score and findings with reasons, with its own
//! validated params. The population models (Isolation Forest, DBSCAN) learn what ordinary logins
//! look like from a sample of earlier ones; the statistical detector compares a login with its
//! user's own history; the rules catch known attacks.

pub mod dbscan;
pub mod evidence;
pub mod isolation_forest;
mod reservoir;
pub mod rules;
pub mod statistical;
