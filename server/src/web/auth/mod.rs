//! Hosted mode on the web (`skytrace serve --auth`): who is asking, and how they prove it. The
//! accounts, sessions and tokens themselves are the application layer's
//! ([`service::accounts`]); here are the HTTP parts.
//!
//! - The session secret lives in an HttpOnly, SameSite=Lax cookie (Secure unless
//!   `--insecure-cookie`); API tokens are sent as `Authorization: Bearer skt_…`.
//! - State-changing requests made with the cookie must come from this site: the browser's
//!   `Sec-Fetch-Site`/`Origin` headers must say so, or the request must carry the session's
//!   `X-CSRF-Token`. Bearer-token requests carry no ambient authority and need neither.
//! - Failed sign-ins are throttled per account and per client address ([`limiter`]).
//!
//! Without `--auth` the server is for the one person at this machine: every request acts as the
//! local admin, and the server refuses to listen on anything but a loopback address.

use service::Accounts;

pub mod limiter;
pub mod middleware;
pub mod request;

pub use limiter::{LimitSettings, LoginLimiter};

/// The cookie holding the session secret.
pub const SESSION_COOKIE: &str = "skytrace_session";

/// How the server decides who is asking.
pub enum AuthMode {
    /// No sign-in: every request is the local admin.
    Local,
    SignIn(std::sync::Arc<SignIn>),
}

/// What hosted mode needs at hand.
pub struct SignIn {
    pub accounts: Accounts,
    pub limiter: LoginLimiter,
    /// Mark the session cookie Secure (sent over HTTPS only). Off only for plain-HTTP testing.
    pub secure_cookie: bool,
}
