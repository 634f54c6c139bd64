//! `skytrace user …` and `skytrace token …`: hosted mode's accounts and API tokens, managed on
//! the server's own database.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use engine::time::format_utc;
use service::Accounts;
use service::account::TokenScope;
use service::accounts::check_password_strength;
use store::Store;

use crate::cli::{DatabaseArgs, TokenAction, TokenArgs, UserAction, UserArgs};

pub fn user(args: &UserArgs) -> anyhow::Result<ExitCode> {
    let runtime = super::runtime()?;
    let accounts = runtime.block_on(open(&args.database))?;
    match &args.action {
        UserAction::Add { name, role } => {
            // Refuse a taken or bad name before asking for a password.
            runtime.block_on(accounts.check_new_name(name))?;
            let password = read_new_password()?;
            runtime.block_on(accounts.add(name, *role, &password))?;
            eprintln!("Added {name} ({role}).");
        }
        UserAction::Reset { name, role } => {
            let password = read_new_password()?;
            let role = runtime.block_on(accounts.reset(name, *role, &password))?;
            eprintln!("New password for {name} ({role}); their sessions have ended.");
        }
        UserAction::Remove { name } => {
            runtime.block_on(accounts.remove(name))?;
            eprintln!("Removed {name}, their sessions and API tokens.");
        }
        UserAction::List => {
            let listed = runtime.block_on(accounts.list())?;
            if listed.is_empty() {
                eprintln!("No accounts yet: `skytrace user add NAME --role admin` makes one.");
            }
            for stored in listed {
                println!(
                    "{}\t{}\tsince {}",
                    stored.account.name,
                    stored.account.role,
                    format_utc(stored.created_ms)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn token(args: &TokenArgs) -> anyhow::Result<ExitCode> {
    let runtime = super::runtime()?;
    let accounts = runtime.block_on(open(&args.database))?;
    match &args.action {
        TokenAction::Create {
            account,
            label,
            scope,
        } => {
            let token = runtime.block_on(accounts.create_token(account, label, *scope))?;
            let how = match scope {
                TokenScope::Api => "send it as `Authorization: Bearer <token>`",
                TokenScope::Ingest => {
                    "it only sends events: `Authorization: Bearer <token>` to POST \
                     /api/v1/events, or `Authorization: Splunk <token>` to the HEC collector"
                }
            };
            eprintln!(
                "API token {} ({scope}) for {account} ({label}). It is shown this once; {how}:",
                token.id
            );
            println!("{}", token.secret);
        }
        TokenAction::List => {
            for token in runtime.block_on(accounts.tokens())? {
                let used = token.last_used_ms.map_or_else(
                    || "never used".to_owned(),
                    |at| format!("last used {}", format_utc(at)),
                );
                println!(
                    "{}\t{}\t{}\t{}\tmade {}\t{used}",
                    token.id,
                    token.scope,
                    token.account,
                    token.label,
                    format_utc(token.created_ms)
                );
            }
        }
        TokenAction::Revoke { id } => {
            runtime.block_on(accounts.revoke_token(id))?;
            eprintln!("Revoked {id}.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn open(database: &DatabaseArgs) -> anyhow::Result<Accounts> {
    std::fs::create_dir_all(&database.data_dir).with_context(|| {
        format!(
            "cannot create data directory {}",
            database.data_dir.display()
        )
    })?;
    let url = database
        .database
        .clone()
        .unwrap_or_else(|| Store::sqlite_url(&database.data_dir));
    Ok(Accounts::new(Arc::new(Store::open(&url).await?)))
}

/// The new password: asked twice, unechoed, on a terminal; else the first line of standard input
/// (for scripts: `printf '%s\n' "$PASSWORD" | skytrace user add …`).
fn read_new_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let first = prompt_hidden("New password: ")?;
        check_password_strength(&first).map_err(anyhow::Error::msg)?;
        if prompt_hidden("Same password again: ")? != first {
            anyhow::bail!("the two passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    };
    check_password_strength(&password).map_err(anyhow::Error::msg)?;
    Ok(password)
}

/// Reads a line from the terminal with echo turned off (by `stty`, restored afterwards).
fn prompt_hidden(prompt: &str) -> anyhow::Result<String> {
    let stty = |setting: &str| {
        std::process::Command::new("stty")
            .arg(setting)
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|status| status.success())
    };
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let hidden = stty("-echo");
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if hidden {
        stty("echo");
    }
    eprintln!();
    read.context("cannot read the password")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
