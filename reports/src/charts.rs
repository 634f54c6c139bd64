//! Charts as standalone SVG, drawn from report values: embedded in PDFs and shown in the web
//! preview. Text uses the PDF's embedded fonts; colours are the app's level colours.
//!
//! Colours are written as attributes, for paper. Every part also carries a class (`level-high`,
//! `base`, `risky`, `rule`, `threshold`; text is `text`), so the web preview restyles the charts
//! in the page's theme with CSS, which takes precedence over attributes.

use std::fmt::Write;

use engine::RiskLevel;

use crate::model::{CountryRow, TrendPoint};

/// The app's level colours (style/main.css).
pub fn level_colour(level: RiskLevel) -> &'static str {
    match level {
        RiskLevel::Low => "#2e7d32",
        RiskLevel::Medium => "#c79100",
        RiskLevel::High => "#e65100",
        RiskLevel::Critical => "#b71c1c",
    }
}

const FONT: &str =
    "font-family=\"Libertinus Serif\" font-size=\"11\" fill=\"#17202b\" class=\"text\"";
/// Width of one character of [`FONT`] at most, for room beside bars (digits and capitals of an
/// 11-point serif are narrower than this).
const CHAR_WIDTH: f64 = 6.2;
const MUTED: &str = "#5b6776";
const BASE: &str = "#9fb3c8";
const RISKY: &str = "#b71c1c";

fn open(width: u32, height: u32, label: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\"><title>{}</title>",
        escape(label)
    )
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// "1,234,567".
pub fn thousands(value: u64) -> String {
    engine::detectors::evidence::thousands(value as f64)
}

/// Horizontal bars, one per level (Critical first), with the count at the end.
pub fn levels(levels: &[(RiskLevel, u64)]) -> String {
    let (width, row, label_width) = (260u32, 19u32, 56.0);
    let height = row * levels.len() as u32 + 8;
    let max = levels.iter().map(|(_, c)| *c).max().unwrap_or(0).max(1) as f64;
    let bar_space = width as f64 - label_width - 50.0;
    let mut svg = open(width, height, "Logins by risk level");
    for (index, (level, count)) in levels.iter().rev().enumerate() {
        let y = 4 + index as u32 * row;
        let length = if *count == 0 {
            0.0
        } else {
            (*count as f64 / max * bar_space).max(2.0)
        };
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" {FONT}>{}</text><rect x=\"{label_width}\" y=\"{}\" width=\"{length:.1}\" height=\"{}\" fill=\"{}\" class=\"level-{}\" rx=\"2\"/><text x=\"{:.1}\" y=\"{}\" {FONT}>{}</text>",
            y + 13,
            level.as_str(),
            y + 3,
            row - 8,
            level_colour(*level),
            level.as_str().to_lowercase(),
            label_width + length + 6.0,
            y + 13,
            thousands(*count)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Logins per period as columns, the High-or-above part in red, with first, middle and last
/// period labelled.
pub fn trend(points: &[TrendPoint], unit: &str) -> String {
    let (width, height) = (340u32, 110u32);
    let (left, bottom, top) = (44.0, 28.0, 10.0);
    let plot_width = width as f64 - left - 8.0;
    let plot_height = height as f64 - bottom - top;
    let mut svg = open(width, height, &format!("Logins per {unit}"));
    let max = points.iter().map(|p| p.logins).max().unwrap_or(0).max(1) as f64;
    let slot = plot_width / points.len().max(1) as f64;
    let bar = (slot * 0.8).max(0.5);
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"{MUTED}\" stroke-width=\"0.6\" class=\"rule\"/><text x=\"{2}\" y=\"{3}\" text-anchor=\"end\" {FONT}>{4}</text><text x=\"{2}\" y=\"{5}\" text-anchor=\"end\" {FONT}>0</text>",
        top + plot_height,
        width as f64 - 8.0,
        left - 6.0,
        top + 8.0,
        thousands(max as u64),
        top + plot_height,
    );
    for (index, point) in points.iter().enumerate() {
        let x = left + index as f64 * slot + (slot - bar) / 2.0;
        let total = point.logins as f64 / max * plot_height;
        let risky = point.high_or_above as f64 / max * plot_height;
        let _ = write!(
            svg,
            "<rect x=\"{x:.2}\" y=\"{:.2}\" width=\"{bar:.2}\" height=\"{total:.2}\" fill=\"{BASE}\" class=\"base\"/>",
            top + plot_height - total
        );
        if point.high_or_above > 0 {
            let _ = write!(
                svg,
                "<rect x=\"{x:.2}\" y=\"{:.2}\" width=\"{bar:.2}\" height=\"{:.2}\" fill=\"{RISKY}\" class=\"risky\"/>",
                top + plot_height - risky,
                risky.max(1.0)
            );
        }
    }
    let label = |ms: i64| {
        let text = engine::time::format_utc(ms);
        if unit == "hour" {
            text[5..16].replace('T', " ")
        } else {
            text[..10].to_owned()
        }
    };
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let y = height as f64 - 8.0;
        let _ = write!(
            svg,
            "<text x=\"{left}\" y=\"{y}\" {FONT}>{}</text><text x=\"{}\" y=\"{y}\" text-anchor=\"end\" {FONT}>{}</text>",
            label(first.start_ms),
            width as f64 - 8.0,
            label(last.start_ms)
        );
        if points.len() > 4 {
            let middle = &points[points.len() / 2];
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{y}\" text-anchor=\"middle\" {FONT}>{}</text>",
                left + (points.len() / 2) as f64 * slot + slot / 2.0,
                label(middle.start_ms)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Logins per risk-score bin on a logarithmic count scale, with the threshold as a line.
pub fn histogram(bins: &[u64], threshold: f64) -> String {
    let (width, height) = (340u32, 170u32);
    let (left, bottom, top) = (44.0, 28.0, 10.0);
    let plot_width = width as f64 - left - 8.0;
    let plot_height = height as f64 - bottom - top;
    let mut svg = open(width, height, "Logins per risk score (log scale)");
    let max = bins.iter().copied().max().unwrap_or(0).max(1);
    let scale = |count: u64| ((count as f64 + 1.0).ln() / (max as f64 + 1.0).ln()) * plot_height;
    let slot = plot_width / bins.len().max(1) as f64;
    for (index, &count) in bins.iter().enumerate() {
        let score = index as f64 / bins.len() as f64;
        let level = if score >= 0.8 {
            RiskLevel::Critical
        } else if score >= 0.6 {
            RiskLevel::High
        } else if score >= 0.4 {
            RiskLevel::Medium
        } else {
            RiskLevel::Low
        };
        let h = if count == 0 {
            0.0
        } else {
            scale(count).max(1.0)
        };
        let _ = write!(
            svg,
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{h:.2}\" fill=\"{}\" class=\"level-{}\"/>",
            left + index as f64 * slot + 1.0,
            top + plot_height - h,
            slot - 2.0,
            level_colour(level),
            level.as_str().to_lowercase()
        );
    }
    let x = left + threshold.clamp(0.0, 1.0) * plot_width;
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"{MUTED}\" stroke-width=\"0.6\" class=\"rule\"/><line x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{0}\" stroke=\"#17202b\" stroke-dasharray=\"4 3\" class=\"threshold\"/><text x=\"{2:.1}\" y=\"{3}\" {FONT}>threshold {threshold:.2}</text><text x=\"{4}\" y=\"{5}\" text-anchor=\"end\" {FONT}>{6}</text>",
        top + plot_height,
        width as f64 - 8.0,
        (x - 80.0).max(left + 2.0),
        top + 10.0,
        left - 6.0,
        top + 8.0,
        thousands(max),
    );
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" {FONT}>{tick:.2}</text>",
            left + tick * plot_width,
            height - 8
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars of logins per country, the High-or-above part in red, each with its figures
/// after it; the bars leave room for the longest figures, so none is cut off.
pub fn countries(rows: &[CountryRow]) -> String {
    let (width, row, label_width) = (260u32, 19u32, 56.0);
    let height = row * rows.len().max(1) as u32 + 8;
    let max = rows.iter().map(|r| r.logins).max().unwrap_or(0).max(1) as f64;
    let figures = |country: &CountryRow| {
        format!(
            "{} ({} High+)",
            thousands(country.logins),
            thousands(country.high_or_above)
        )
    };
    let widest = rows
        .iter()
        .map(|country| figures(country).chars().count())
        .max()
        .unwrap_or(0) as f64
        * CHAR_WIDTH;
    let bar_space = (width as f64 - label_width - 6.0 - widest).max(24.0);
    let mut svg = open(width, height, "Logins by country");
    for (index, country) in rows.iter().enumerate() {
        let y = 4 + index as u32 * row;
        let total = (country.logins as f64 / max * bar_space).max(2.0);
        let risky = country.high_or_above as f64 / max * bar_space;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" {FONT}>{}</text><rect x=\"{label_width}\" y=\"{}\" width=\"{total:.1}\" height=\"{}\" fill=\"{BASE}\" class=\"base\"/>",
            y + 13,
            escape(&country.country),
            y + 3,
            row - 8
        );
        if country.high_or_above > 0 {
            let _ = write!(
                svg,
                "<rect x=\"{label_width}\" y=\"{}\" width=\"{:.1}\" height=\"{}\" fill=\"{RISKY}\" class=\"risky\"/>",
                y + 3,
                risky.max(2.0),
                row - 8
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" {FONT}>{}</text>",
            label_width + total + 6.0,
            y + 13,
            figures(country)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_well_formed_and_escape_text() {
        let svg = countries(&[CountryRow {
            country: "<script>".to_owned(),
            logins: 1234,
            high_or_above: 3,
            mean_risk: 0.2,
        }]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("&lt;script&gt;") && svg.contains("1,234 (3 High+)"));
        let bars = levels(&[(RiskLevel::Low, 10), (RiskLevel::Critical, 0)]);
        assert!(bars.contains(">Critical<") && bars.contains(">10<"));
        assert!(histogram(&[5, 0, 1], 0.7).contains("threshold 0.70"));
        assert!(trend(&[], "day").ends_with("</svg>"));
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(12), "12");
    }

    /// Regression: "33,916 (2,775 High+)" ran past the chart's edge.
    #[test]
    fn country_figures_fit_inside_the_chart() {
        let row = |country: &str, logins, high_or_above| CountryRow {
            country: country.to_owned(),
            logins,
            high_or_above,
            mean_risk: 0.1,
        };
        let svg = countries(&[row("NO", 33_916, 2_775), row("SE", 1_204, 3)]);
        let width: f64 = 260.0;
        for text in svg.split("<text x=\"").skip(1) {
            let x: f64 = text[..text.find('"').unwrap()].parse().unwrap();
            let content = &text[text.find('>').unwrap() + 1..text.find("</text>").unwrap()];
            let end = x + content.chars().count() as f64 * CHAR_WIDTH;
            assert!(end <= width, "{content:?} ends at {end:.0} of {width}");
        }
        assert!(svg.contains("33,916 (2,775 High+)"));
        assert!(svg.contains("class=\"risky\"") && svg.contains("class=\"text\""));
    }
}
