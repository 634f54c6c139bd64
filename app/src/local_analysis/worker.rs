//! The worker's side: reads and scores a file, keeps the scored logins, answers page queries.
//! Runs inside a dedicated web worker, started by [`super::client`].

use std::cell::RefCell;
use std::rc::Rc;

use engine::enrich::{GeoLookup, NoGeolocation};
use engine::{AccountVerdict, DataProfile, ScoredEvent};
use wasm_bindgen::{JsCast, JsValue};

use super::country::CountryDatabase;
use super::{AnalyseRequest, Reply, Request};
use crate::browser::read_file;
use service::detection::{
    AccountStatuses, DetectionChoices, DetectionSummary, query_with, summarise,
};
use service::reading::ingest_options;
use service::review::{AccountBrief, LoginDetails, login_details};

const REPLACED: &str = "these results were replaced by a newer analysis in this tab; run it again";

/// Progress is reported at most this often (in logins), so messages do not swamp the page.
const PROGRESS_EVERY: usize = 2_000;

/// The latest run: only one is kept, the file the person is looking at.
struct Kept {
    id: String,
    events: Vec<ScoredEvent>,
    accounts: Vec<AccountVerdict>,
    statuses: AccountStatuses,
    choices: DetectionChoices,
}

impl Kept {
    /// One login as the triage panel shows it, beside the same user's logins in this run.
    fn login(&self, login_id: &str) -> Option<LoginDetails> {
        let event = self
            .events
            .iter()
            .find(|event| event.login_id() == login_id)?;
        let history: Vec<&ScoredEvent> = self
            .events
            .iter()
            .filter(|other| other.user_id == event.user_id)
            .collect();
        let account = self
            .accounts
            .iter()
            .find(|verdict| verdict.user_id == *event.user_id)
            .map(|verdict| AccountBrief {
                status: verdict.status,
                score: verdict.score,
                level: verdict.level,
                summary: verdict.summary.clone(),
            });
        Some(login_details(event, &history, &self.choices, account))
    }
}

thread_local! {
    static KEPT: RefCell<Option<Kept>> = const { RefCell::new(None) };
    static RUNS: RefCell<u32> = const { RefCell::new(0) };
    static COUNTRIES: RefCell<Option<Rc<CountryDatabase>>> = const { RefCell::new(None) };
}

fn scope() -> web_sys::DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(id: f64, reply: &Reply) {
    let text = serde_json::to_string(reply)
        .unwrap_or_else(|error| format!(r#"{{"Failed":"the answer cannot be encoded: {error}"}}"#));
    let message = js_sys::Array::of2(&JsValue::from_f64(id), &JsValue::from_str(&text));
    // Posting to the page only fails for values that cannot be cloned; these are a number and a string.
    let _ = scope().post_message(&message);
}

/// One message from the page: `[id, request as JSON, file?]`. Answers `[id, reply as JSON]`.
pub async fn handle(message: JsValue) -> Result<(), JsValue> {
    let message: js_sys::Array = message.dyn_into()?;
    let id = message.get(0).as_f64().unwrap_or_default();
    let request = message.get(1).as_string().unwrap_or_default();
    let reply = match serde_json::from_str::<Request>(&request) {
        Ok(Request::Analyse(request)) => match message.get(2).dyn_into::<web_sys::File>() {
            Ok(file) => analyse(id, request, file)
                .await
                .map_or_else(Reply::Failed, |summary| Reply::Analysed(Box::new(summary))),
            Err(_) => Reply::Failed("no file came with the request".to_owned()),
        },
        Ok(Request::Page { run, query: wanted }) => KEPT.with_borrow(|kept| match kept {
            Some(kept) if kept.id == run => match wanted.check() {
                Ok(()) => Reply::Page(query_with(&kept.events, &kept.statuses, &wanted)),
                Err(message) => Reply::Failed(message),
            },
            _ => Reply::Failed(REPLACED.to_owned()),
        }),
        Ok(Request::Login { run, login_id }) => KEPT.with_borrow(|kept| match kept {
            Some(kept) if kept.id == run => kept.login(&login_id).map_or_else(
                || Reply::Failed(format!("this analysis has no login {login_id:?}")),
                |details| Reply::Login(Box::new(details)),
            ),
            _ => Reply::Failed(REPLACED.to_owned()),
        }),
        Err(error) => Reply::Failed(format!("unreadable request: {error}")),
    };
    post(id, &reply);
    Ok(())
}

async fn analyse(
    id: f64,
    request: AnalyseRequest,
    file: web_sys::File,
) -> Result<DetectionSummary, String> {
    let options = ingest_options(
        &request.format,
        &request.mapping,
        Some(request.last_modified_ms),
    )?;
    let config = request.choices.apply(&engine::AnalysisConfig::default())?;
    let countries = if request.choices.geolocation {
        Some(country_database(&request.country_data_url).await?)
    } else {
        None
    };
    let content = read_file(&file).await?;
    // Free the previous run before reading the next one into memory.
    KEPT.set(None);
    let started = js_sys::Date::now();
    let ingested = engine::read_slice(&content, &options).map_err(|error| error.to_string())?;
    drop(content);
    let total = ingested.events.len() as u64;
    let mut reported = 0;
    let progress = |done: usize| {
        if done >= reported + PROGRESS_EVERY || done == ingested.events.len() {
            reported = done;
            post(
                id,
                &Reply::Progress {
                    done: done as u64,
                    total,
                },
            );
        }
    };
    let geo: &dyn GeoLookup = match &countries {
        Some(countries) => countries.as_ref(),
        None => &NoGeolocation,
    };
    let analysis = engine::analyze(&ingested.events, &config, geo, progress)
        .map_err(|error| error.to_string())?;
    let elapsed_ms = (js_sys::Date::now() - started).max(0.0) as u64;
    let run = RUNS.with_borrow_mut(|runs| {
        *runs += 1;
        format!("local-{runs}")
    });
    let summary = summarise(
        run.clone(),
        request.file_name,
        DataProfile::of(&ingested),
        request.choices.clone(),
        &analysis,
        elapsed_ms,
    );
    let statuses = analysis
        .accounts
        .iter()
        .map(|verdict| (verdict.user_id.clone(), verdict.status))
        .collect();
    KEPT.set(Some(Kept {
        id: run,
        events: analysis.events,
        accounts: analysis.accounts,
        statuses,
        choices: request.choices,
    }));
    Ok(summary)
}

/// The country database, fetched from the site the first time it is needed.
async fn country_database(url: &str) -> Result<Rc<CountryDatabase>, String> {
    if let Some(loaded) = COUNTRIES.with_borrow(Clone::clone) {
        return Ok(loaded);
    }
    let bytes = crate::browser::fetch_bytes(url).await.map_err(|error| {
        format!("cannot load the country data for geolocation ({error}); turn geolocation off to analyse without it")
    })?;
    let loaded = Rc::new(CountryDatabase::from_bytes(bytes)?);
    COUNTRIES.set(Some(Rc::clone(&loaded)));
    Ok(loaded)
}
