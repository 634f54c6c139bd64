//! `skytrace user …` and `skytrace token …`: hosted mode's accounts and API tokens, managed on
//! the server's own database.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use app::account::check_account_name;
use engine::time::format_utc;

use crate::auth::{API_TOKEN_PREFIX, check_password_strength, digest, hash_password, new_secret};
use crate::cli::{DatabaseArgs, TokenAction, TokenArgs, UserAction, UserArgs};
use crate::store::Store;

pub fn user(args: &UserArgs) -> anyhow::Result<ExitCode> {
    let now_ms = jiff::Timestamp::now().as_millisecond();
    match &args.action {
        UserAction::Add { name, role } => {
            check_account_name(name).map_err(anyhow::Error::msg)?;
            let store = open(&args.database)?;
            // Refuse a taken name before asking for a password.
            if block_on(store.account(name))?.is_some() {
                anyhow::bail!(
                    "there is already an account {name:?} (`skytrace user reset` sets a new password)"
                );
            }
            let hash = hash_password(&read_new_password()?)?;
            if !block_on(store.add_account(name, *role, &hash, now_ms))? {
                anyhow::bail!("there is already an account {name:?}");
            }
            eprintln!("Added {name} ({role}).");
        }
        UserAction::Reset { name, role } => {
            let store = open(&args.database)?;
            let existing =
                block_on(store.account(name))?.with_context(|| format!("no account {name:?}"))?;
            let hash = hash_password(&read_new_password()?)?;
            let role = role.unwrap_or(existing.account.role);
            block_on(store.reset_account(name, role, &hash))?;
            eprintln!("New password for {name} ({role}); their sessions have ended.");
        }
        UserAction::Remove { name } => {
            let store = open(&args.database)?;
            if !block_on(store.remove_account(name))? {
                anyhow::bail!("no account {name:?}");
            }
            eprintln!("Removed {name}, their sessions and API tokens.");
        }
        UserAction::List => {
            let store = open(&args.database)?;
            let accounts = block_on(store.accounts())?;
            if accounts.is_empty() {
                eprintln!("No accounts yet: `skytrace user add NAME --role admin` makes one.");
            }
            for stored in accounts {
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
    let store = open(&args.database)?;
    match &args.action {
        TokenAction::Create { account, label } => {
            block_on(store.account(account))?.with_context(|| format!("no account {account:?}"))?;
            let secret = format!("{API_TOKEN_PREFIX}{}", new_secret()?);
            let id = format!("tok-{}", &new_secret()?[..12]);
            let now_ms = jiff::Timestamp::now().as_millisecond();
            block_on(store.add_api_token(&id, &digest(&secret), account, label, now_ms))?;
            eprintln!(
                "API token {id} for {account} ({label}). It is shown this once; send it as \
                 `Authorization: Bearer <token>`:"
            );
            println!("{secret}");
        }
        TokenAction::List => {
            for token in block_on(store.api_tokens())? {
                let used = token.last_used_ms.map_or_else(
                    || "never used".to_owned(),
                    |at| format!("last used {}", format_utc(at)),
                );
                println!(
                    "{}\t{}\t{}\tmade {}\t{used}",
                    token.id,
                    token.account,
                    token.label,
                    format_utc(token.created_ms)
                );
            }
        }
        TokenAction::Revoke { id } => {
            if !block_on(store.revoke_api_token(id))? {
                anyhow::bail!("no API token {id:?} (`skytrace token list` shows them)");
            }
            eprintln!("Revoked {id}.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
        .block_on(future)
}

fn open(database: &DatabaseArgs) -> anyhow::Result<Store> {
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
    block_on(Store::open(&url))
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
