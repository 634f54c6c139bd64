//! The server's tests, one binary: the web app through its router (pages, server functions, REST
//! API, hosted mode), the commands as processes, and the helpers the web edge is built from.

mod support;

mod api_contract;
mod attacks;
mod cli_accounts;
mod cli_evaluate;
mod cli_formats;
mod cli_health;
mod cli_loadtest;
mod cli_report;
mod cli_stream;
mod config_file;
mod figures;
mod hec;
mod kill_mid_ingest;
mod land;
mod limiter;
mod monitor;
mod notify;
mod okta_hook;
mod request;
mod sample;
mod scale_out;
mod security_headers;
mod sign_in;
mod syslog;
mod watch;
mod web;
mod web_auth;
mod web_dashboard;
mod web_feedback;
