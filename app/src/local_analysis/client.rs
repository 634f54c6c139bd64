//! The page's side: starts one worker per tab, the first time it is needed, and turns its
//! messages into futures.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::File;

use super::{AnalyseRequest, COUNTRY_DATA_PATH, DEFAULT_BROWSER_LIMIT_BYTES, Reply, Request};
use crate::browser::{browser_limit_bytes, describe};
use service::detection::{DetectionChoices, DetectionSummary, EventPage, EventQuery};
use service::review::LoginDetails;
use service::text::bytes;

#[wasm_bindgen]
extern "C" {
    type ImportMeta;
    /// `import.meta` of the wasm-bindgen glue module: its URL is where the worker loads it from.
    #[wasm_bindgen(thread_local_v2, js_namespace = import, js_name = meta)]
    static IMPORT_META: ImportMeta;
    #[wasm_bindgen(method, getter)]
    fn url(this: &ImportMeta) -> String;
}

/// The worker's script. Its first message is this page's compiled WebAssembly module (the file
/// names differ between builds, a compiled module does not), which it instantiates once; every
/// later message is handed to the module, one at a time. If the module traps, the message's
/// sender hears so instead of waiting for ever.
fn worker_script(glue_url: &str) -> String {
    let glue_url = serde_json::to_string(glue_url).unwrap_or_default();
    format!(
        "import init, {{ analysis_worker_handle }} from {glue_url};\n\
         let ready;\n\
         let queue = Promise.resolve();\n\
         self.onmessage = (event) => {{\n\
           if (ready === undefined) {{\n\
             ready = init({{ module_or_path: event.data }});\n\
             return;\n\
           }}\n\
           const id = event.data[0];\n\
           queue = queue.then(() => ready).then(() => analysis_worker_handle(event.data)).catch((error) => {{\n\
             self.postMessage([id, JSON.stringify({{ Crashed: String(error) }})]);\n\
           }});\n\
         }};\n"
    )
}

type ProgressFn = Rc<dyn Fn(u64, u64)>;

struct Pending {
    resolve: js_sys::Function,
    on_progress: Option<ProgressFn>,
}

type PendingRequests = Rc<RefCell<HashMap<u32, Pending>>>;

struct Analyst {
    worker: web_sys::Worker,
    pending: PendingRequests,
    next_id: Cell<u32>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

thread_local! {
    static ANALYST: RefCell<Option<Rc<Analyst>>> = const { RefCell::new(None) };
}

impl Analyst {
    fn start() -> Result<Self, String> {
        let script = worker_script(&IMPORT_META.with(ImportMeta::url));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("text/javascript");
        let blob = web_sys::Blob::new_with_str_sequence_and_options(
            &js_sys::Array::of1(&JsValue::from_str(&script)),
            &options,
        )
        .map_err(describe)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(describe)?;
        let worker_options = web_sys::WorkerOptions::new();
        worker_options.set_type(web_sys::WorkerType::Module);
        let worker = web_sys::Worker::new_with_options(&url, &worker_options);
        // The worker has its own reference to the script once it started loading it.
        let _ = web_sys::Url::revoke_object_url(&url);
        let worker = worker.map_err(describe)?;
        worker
            .post_message(&wasm_bindgen::module())
            .map_err(describe)?;

        let pending = PendingRequests::default();
        let on_message = Closure::<dyn FnMut(_)>::new({
            let pending = Rc::clone(&pending);
            move |event: web_sys::MessageEvent| {
                let message = js_sys::Array::from(&event.data());
                let id = message.get(0).as_f64().unwrap_or(-1.0) as u32;
                let text = message.get(1).as_string().unwrap_or_default();
                if let Ok(Reply::Progress { done, total }) = serde_json::from_str(&text) {
                    let on_progress = pending
                        .borrow()
                        .get(&id)
                        .and_then(|request| request.on_progress.clone());
                    if let Some(on_progress) = on_progress {
                        on_progress(done, total);
                    }
                } else if let Some(request) = pending.borrow_mut().remove(&id) {
                    let _ = request
                        .resolve
                        .call1(&JsValue::NULL, &JsValue::from_str(&text));
                }
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // The script could not load, or failed outside any message: every waiting request ends.
        let on_error = Closure::<dyn FnMut(_)>::new({
            let pending = Rc::clone(&pending);
            move |event: web_sys::ErrorEvent| {
                let message = match event.message() {
                    message if message.is_empty() => "the worker could not start".to_owned(),
                    message => message,
                };
                let crashed = serde_json::to_string(&Reply::Crashed(message)).unwrap_or_default();
                for (_, request) in pending.borrow_mut().drain() {
                    let _ = request
                        .resolve
                        .call1(&JsValue::NULL, &JsValue::from_str(&crashed));
                }
            }
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            pending,
            next_id: Cell::new(0),
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// This tab's worker, started on first use.
    fn get() -> Result<Rc<Self>, String> {
        if let Some(running) = ANALYST.with_borrow(Clone::clone) {
            return Ok(running);
        }
        let started = Rc::new(Self::start()?);
        ANALYST.set(Some(Rc::clone(&started)));
        Ok(started)
    }

    /// A broken worker is stopped; the next request starts a new one.
    fn stop() {
        if let Some(running) = ANALYST.take() {
            running.worker.terminate();
        }
    }
}

async fn ask(
    request: &Request,
    file: Option<&File>,
    on_progress: Option<ProgressFn>,
) -> Result<Reply, String> {
    let analyst = Analyst::get()?;
    let id = analyst.next_id.get();
    analyst.next_id.set(id.wrapping_add(1));
    let text = serde_json::to_string(request).map_err(|error| error.to_string())?;
    let answer = js_sys::Promise::new(&mut |resolve, _reject| {
        analyst.pending.borrow_mut().insert(
            id,
            Pending {
                resolve,
                on_progress: on_progress.clone(),
            },
        );
    });
    let message = js_sys::Array::of2(&JsValue::from(id), &JsValue::from_str(&text));
    if let Some(file) = file {
        message.push(file);
    }
    if let Err(error) = analyst.worker.post_message(&message) {
        analyst.pending.borrow_mut().remove(&id);
        return Err(describe(error));
    }
    drop(analyst);
    let answer = JsFuture::from(answer).await.map_err(describe)?;
    let reply = serde_json::from_str::<Reply>(&answer.as_string().unwrap_or_default())
        .map_err(|error| format!("unreadable answer from the worker: {error}"))?;
    match reply {
        Reply::Crashed(message) => {
            Analyst::stop();
            Err(format!("the analysis in this browser stopped: {message}"))
        }
        Reply::Failed(message) => Err(message),
        reply => Ok(reply),
    }
}

/// Starts the worker ahead of need, while the page's own files are at hand: a page that goes
/// offline afterwards can still analyse.
pub fn prepare() -> Result<(), String> {
    Analyst::get().map(drop)
}

/// Scores `file` in this browser's worker; `on_progress(done, total)` follows the scoring.
pub async fn analyse(
    file: &File,
    format: String,
    mapping: String,
    choices: DetectionChoices,
    on_progress: impl Fn(u64, u64) + 'static,
) -> Result<DetectionSummary, String> {
    let limit = browser_limit_bytes().unwrap_or(DEFAULT_BROWSER_LIMIT_BYTES);
    let size = file.size() as u64;
    if size > limit {
        return Err(format!(
            "the file is {}; this browser analyses files up to {} (run it on the server instead)",
            bytes(size),
            bytes(limit)
        ));
    }
    let origin = web_sys::window()
        .ok_or("no browser window")?
        .location()
        .origin()
        .map_err(describe)?;
    let request = Request::Analyse(AnalyseRequest {
        file_name: file.name(),
        last_modified_ms: file.last_modified() as i64,
        format,
        mapping,
        choices,
        country_data_url: format!("{origin}{COUNTRY_DATA_PATH}"),
    });
    match ask(&request, Some(file), Some(Rc::new(on_progress))).await? {
        Reply::Analysed(summary) => Ok(*summary),
        other => Err(format!("unexpected answer from the worker: {other:?}")),
    }
}

/// One login of the worker's run `run`, as the triage panel shows it.
pub async fn login(run: String, login_id: String) -> Result<LoginDetails, String> {
    match ask(&Request::Login { run, login_id }, None, None).await? {
        Reply::Login(details) => Ok(*details),
        other => Err(format!("unexpected answer from the worker: {other:?}")),
    }
}

/// A page of the logins of the worker's run `run`.
pub async fn page(run: String, query: EventQuery) -> Result<EventPage, String> {
    match ask(&Request::Page { run, query }, None, None).await? {
        Reply::Page(page) => Ok(page),
        other => Err(format!("unexpected answer from the worker: {other:?}")),
    }
}
