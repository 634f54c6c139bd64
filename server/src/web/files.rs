//! Files the pages load from the server besides the pages themselves: the site's bundle (`/pkg`,
//! named after its content, so cached for a year), and what `./dev` installs from npm beside the
//! geolocation data: the map's land and countries (converted once at start), the country
//! database analyses in the browser use, and the chart script. Files are streamed from disk with
//! range requests, conditional GET and, where the build left them, precompressed brotli or gzip
//! copies. Each installed file missing is a 404 that says how to install it, and the page does
//! without.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use super::land;

/// What the pages load besides the site's own files.
#[derive(Clone, Default)]
pub struct PageFiles {
    /// The server-rendered map's land; without it the map shows its points on a blank sea.
    pub land_svg: Option<Arc<str>>,
    /// The interactive map's countries (GeoJSON); without them the server-rendered map stays.
    pub countries_geojson: Option<Arc<str>>,
    /// The country database analyses in the browser use for geolocation.
    pub country_database: Option<PathBuf>,
    /// Apache ECharts, which draws the interactive charts; without it the SVG charts stay.
    pub echarts_script: Option<PathBuf>,
}

/// Installed files change only with the npm packages: a day in the browser's cache.
const A_DAY: HeaderValue = HeaderValue::from_static("public, max-age=86400");
/// A bundle named after its content never changes.
const FOREVER: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
/// Files that keep their name: ask whether they changed (a cheap 304 when not).
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

impl PageFiles {
    /// What is installed beside the geolocation data (`--geo-dir`, else where `./dev` puts it);
    /// the copies the build put in the site (`site_root`, precompressed) are preferred.
    pub fn installed(geo_dir: Option<&Path>, site_root: &Path) -> Self {
        let in_site = |path: &str| {
            Some(site_root.join(path.trim_start_matches('/'))).filter(|file| file.is_file())
        };
        Self {
            land_svg: converted(land::locate(geo_dir), land::land_svg),
            countries_geojson: converted(land::locate_countries(geo_dir), land::countries_geojson),
            country_database: in_site(app::local_analysis::COUNTRY_DATA_PATH)
                .or_else(|| geolocation::country_database_file(geo_dir)),
            echarts_script: in_site(app::components::ECHARTS_PATH)
                .or_else(|| geolocation::echarts_file(geo_dir)),
        }
    }

    /// Their routes: files streamed from disk (with range requests and conditional GET), the
    /// converted map data from memory.
    pub fn routes<S>(&self) -> Router<S>
    where
        Arc<PageFiles>: FromRef<S>,
        S: Clone + Send + Sync + 'static,
    {
        let router = Router::new()
            .route(
                "/map/land.svg",
                get(|State(files): State<Arc<PageFiles>>| async move {
                    converted_file(files.land_svg.clone(), "image/svg+xml")
                }),
            )
            .route(
                app::components::WORLD_MAP_PATH,
                get(|State(files): State<Arc<PageFiles>>| async move {
                    converted_file(files.countries_geojson.clone(), "application/geo+json")
                }),
            );
        let router = installed(
            router,
            app::local_analysis::COUNTRY_DATA_PATH,
            self.country_database.as_deref(),
            "country database",
        );
        installed(
            router,
            app::components::ECHARTS_PATH,
            self.echarts_script.as_deref(),
            "ECharts",
        )
    }
}

/// `path` serves `file` when it is installed, else says how to install it.
fn installed<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    path: &str,
    file: Option<&Path>,
    what: &'static str,
) -> Router<S> {
    match file {
        Some(file) => router.route_service(
            path,
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    A_DAY,
                ))
                .service(ServeFile::new(file).precompressed_br().precompressed_gzip()),
        ),
        None => router.route(path, get(move || async move { not_installed(what) })),
    }
}

/// The site's bundle under `/{pkg_dir}`: cached for a year when named after its content
/// (`hashed`), else revalidated on each use.
pub fn bundle_routes<S: Clone + Send + Sync + 'static>(
    site_root: &Path,
    pkg_dir: &str,
    hashed: bool,
) -> Router<S> {
    Router::new().nest_service(
        &format!("/{pkg_dir}"),
        tower::ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                if hashed { FOREVER } else { REVALIDATE },
            ))
            .service(
                ServeDir::new(site_root.join(pkg_dir))
                    .precompressed_br()
                    .precompressed_gzip(),
            ),
    )
}

/// The world-atlas `file`, converted once at start.
fn converted(
    file: Option<PathBuf>,
    convert: fn(&str) -> anyhow::Result<String>,
) -> Option<Arc<str>> {
    let file = file?;
    let result = std::fs::read_to_string(&file)
        .map_err(anyhow::Error::from)
        .and_then(|topology| convert(&topology));
    match result {
        Ok(text) => Some(Arc::from(text)),
        Err(error) => {
            tracing::warn!(file = %file.display(), "cannot convert the map data: {error:#}");
            None
        }
    }
}

fn not_installed(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!("no {what} here (run ./dev setup)\n"),
    )
        .into_response()
}

fn converted_file(text: Option<Arc<str>>, content_type: &'static str) -> Response {
    match text {
        Some(text) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, A_DAY),
            ],
            text.to_string(),
        )
            .into_response(),
        None => not_installed("world-atlas data"),
    }
}
