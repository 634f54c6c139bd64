//! The option objects of the interactive charts (Apache ECharts), built in Rust with `charming`
//! where it has the parts, and as JSON where it has not: charming 0.6 has no `geo` component and
//! no data on `lines` series, so the world map is written out directly.
//!
//! Colours come from the page's theme ([`Palette`], read from its CSS custom properties), so a
//! chart follows the dark and light themes like the rest of the page.

use charming::Chart;
use charming::component::{Axis, DataZoom, DataZoomType, Grid, Legend, LegendType};
use charming::datatype::{CompositeValue, DataPointItem};
use charming::element::{
    AxisType, Emphasis, ItemStyle, Label, LabelPosition, LineStyle, LineStyleType, MarkLine,
    MarkLineData, MarkLineVariant, Symbol, Tooltip, Trigger,
};
use charming::series::{Bar, Line, Pie};
use engine::RiskLevel;
use engine::time::format_utc;
use reports::model::TrendPoint;
use serde_json::{Value, json};

use service::dashboard::MapView;
use service::text::{count, counted};

/// The name the world's countries are registered under for the map.
pub const WORLD_MAP_NAME: &str = "world";

/// More periods than this get a zoom slider under the trend.
const TREND_SLIDER_FROM_POINTS: usize = 60;

/// The theme's colours, as CSS colour strings.
#[derive(Clone, Debug, PartialEq)]
pub struct Palette {
    pub text: String,
    pub muted: String,
    pub border: String,
    pub surface: String,
    pub surface_2: String,
    pub accent: String,
    pub low: String,
    pub medium: String,
    pub high: String,
    pub critical: String,
    /// The map's land and its borders.
    pub land: String,
    pub land_border: String,
}

impl Palette {
    /// The custom properties of `style/main.css` the palette is read from, in field order.
    pub const PROPERTIES: [&'static str; 12] = [
        "--text",
        "--muted",
        "--border",
        "--surface",
        "--surface-2",
        "--accent",
        "--low",
        "--medium",
        "--high",
        "--critical",
        "--land",
        "--land-border",
    ];

    /// The palette from the values of [`Self::PROPERTIES`], in order; `None` if one is empty
    /// (the stylesheet has not loaded).
    pub fn from_properties(values: &[String]) -> Option<Self> {
        let [
            text,
            muted,
            border,
            surface,
            surface_2,
            accent,
            low,
            medium,
            high,
            critical,
            land,
            land_border,
        ] = values
        else {
            return None;
        };
        if values.iter().any(|value| value.trim().is_empty()) {
            return None;
        }
        let owned = |value: &String| value.trim().to_owned();
        Some(Self {
            text: owned(text),
            muted: owned(muted),
            border: owned(border),
            surface: owned(surface),
            surface_2: owned(surface_2),
            accent: owned(accent),
            low: owned(low),
            medium: owned(medium),
            high: owned(high),
            critical: owned(critical),
            land: owned(land),
            land_border: owned(land_border),
        })
    }

    pub fn level(&self, level: RiskLevel) -> &str {
        match level {
            RiskLevel::Low => &self.low,
            RiskLevel::Medium => &self.medium,
            RiskLevel::High => &self.high,
            RiskLevel::Critical => &self.critical,
        }
    }
}

impl Default for Palette {
    /// The light theme's colours.
    fn default() -> Self {
        let owned = |value: &str| value.to_owned();
        Self {
            text: owned("#17202b"),
            muted: owned("#5a6675"),
            border: owned("#d5dbe3"),
            surface: owned("#ffffff"),
            surface_2: owned("#eef1f5"),
            accent: owned("#1f5fbf"),
            low: owned("#2e7d32"),
            medium: owned("#c79100"),
            high: owned("#e65100"),
            critical: owned("#b71c1c"),
            land: owned("#cfd6df"),
            land_border: owned("#a3aebb"),
        }
    }
}

/// The level of a score band by its lower edge, as the histogram colours it.
fn band_level(from: f64) -> RiskLevel {
    match from {
        f if f >= 0.8 => RiskLevel::Critical,
        f if f >= 0.6 => RiskLevel::High,
        f if f >= 0.4 => RiskLevel::Medium,
        _ => RiskLevel::Low,
    }
}

/// Logins per score band on a 0–1 axis, on a logarithmic count axis (so a handful of risky
/// logins stay visible beside thousands of ordinary ones), with the threshold marked.
pub fn histogram(bins: &[u64], threshold: f64, palette: &Palette) -> Value {
    let width = 1.0 / bins.len().max(1) as f64;
    let bars: Vec<DataPointItem> = bins
        .iter()
        .enumerate()
        .filter(|(_, number)| **number > 0)
        .map(|(index, &number)| {
            let from = index as f64 * width;
            let middle = (index as f64 + 0.5) / bins.len() as f64;
            DataPointItem::new(vec![middle, number as f64])
                .name(format!(
                    "{from:.2}–{:.2}: {} logins",
                    from + width,
                    count(number)
                ))
                .item_style(ItemStyle::new().color(palette.level(band_level(from))))
        })
        .collect();
    let threshold_line = MarkLine::new()
        .symbol(vec![Symbol::None, Symbol::None])
        .silent(true)
        .line_style(
            LineStyle::new()
                .color(palette.text.as_str())
                .type_(LineStyleType::Dashed),
        )
        .label(Label::new().formatter(format!("threshold {threshold:.2}").as_str()))
        .data(vec![MarkLineVariant::Simple(
            MarkLineData::new().x_axis(threshold),
        )]);
    let chart = Chart::new()
        .grid(Grid::new().left(48).right(16).top(28).bottom(28))
        .tooltip(Tooltip::new().trigger(Trigger::Item).formatter("{b}"))
        .x_axis(Axis::new().type_(AxisType::Value).min(0).max(1))
        .y_axis(
            Axis::new()
                .type_(AxisType::Log)
                .name("logins")
                .min_interval(1.0),
        )
        .series(
            Bar::new()
                .name("Logins")
                .bar_width("90%")
                .mark_line(threshold_line)
                .data(bars),
        );
    themed(chart, palette)
}

/// Logins per level as a ring in the level colours, riskiest first.
pub fn level_pie(levels: &[(RiskLevel, u64)], palette: &Palette) -> Value {
    let mut riskiest_first = levels.to_vec();
    riskiest_first.sort_by_key(|&(level, _)| std::cmp::Reverse(level));
    let slices: Vec<DataPointItem> = riskiest_first
        .into_iter()
        .filter(|(_, number)| *number > 0)
        .map(|(level, number)| {
            DataPointItem::new(number as f64)
                .name(level.as_str())
                .item_style(ItemStyle::new().color(palette.level(level)))
        })
        .collect();
    let chart = Chart::new()
        .tooltip(
            Tooltip::new()
                .trigger(Trigger::Item)
                .formatter("{b}: {c} logins ({d}%)"),
        )
        .series(
            Pie::new()
                .name("Logins per level")
                .radius(vec!["45%", "72%"])
                .start_angle(90)
                // Outside labels get cut off in a narrow card and the key under the chart
                // already lists every level; the hovered slice is named in the hole instead.
                .avoid_label_overlap(false)
                .label(Label::new().show(false).position(LabelPosition::Center))
                .emphasis(
                    Emphasis::new().label(
                        Label::new()
                            .show(true)
                            .formatter("{b}\n{c}")
                            .font_size(15)
                            .font_weight("bold"),
                    ),
                )
                .data(slices),
        );
    themed(chart, palette)
}

/// Logins per period as stacked bars (the High-or-above part in the High colour) and the mean
/// risk as a line on its own 0–1 axis; periods without logins leave a gap in the line.
pub fn trend(points: &[TrendPoint], unit: &str, palette: &Palette) -> Value {
    let shown = if unit == "day" { 10 } else { 16 };
    let stamps: Vec<String> = points
        .iter()
        .map(|point| {
            let text = format_utc(point.start_ms);
            text.get(..shown).unwrap_or(&text).replace('T', " ")
        })
        .collect();
    let others: Vec<f64> = points
        .iter()
        .map(|point| point.logins.saturating_sub(point.high_or_above) as f64)
        .collect();
    let risky: Vec<f64> = points
        .iter()
        .map(|point| point.high_or_above as f64)
        .collect();
    let mean_risk: Vec<CompositeValue> = points
        .iter()
        .map(|point| {
            let rounded = (point.mean_risk * 1000.0).round() / 1000.0;
            CompositeValue::from((point.logins > 0).then_some(rounded))
        })
        .collect();
    // The legend is one scrolling line at the top, and the plot starts below the axes' names,
    // so on a phone the legend cannot wrap onto them.
    let mut chart = Chart::new()
        .grid(Grid::new().left(56).right(48).top(56).bottom(
            if points.len() > TREND_SLIDER_FROM_POINTS {
                64
            } else {
                32
            },
        ))
        .legend(
            Legend::new()
                .type_(LegendType::Scroll)
                .top(0)
                .left(8)
                .right(8),
        )
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(Axis::new().type_(AxisType::Category).data(stamps))
        .y_axis(Axis::new().type_(AxisType::Value).name("logins"))
        .y_axis(
            Axis::new()
                .type_(AxisType::Value)
                .name("mean risk")
                .min(0)
                .max(1),
        )
        .data_zoom(DataZoom::new().type_(DataZoomType::Inside))
        .series(
            Bar::new()
                .name("Below High")
                .stack("logins")
                .item_style(ItemStyle::new().color(palette.accent.as_str()))
                .data(others),
        )
        .series(
            Bar::new()
                .name("High or above")
                .stack("logins")
                .item_style(ItemStyle::new().color(palette.high.as_str()))
                .data(risky),
        )
        .series(
            Line::new()
                .name("Mean risk")
                .y_axis_index(1)
                .show_symbol(false)
                .item_style(ItemStyle::new().color(palette.critical.as_str()))
                .data(mean_risk),
        );
    if points.len() > TREND_SLIDER_FROM_POINTS {
        chart = chart.data_zoom(DataZoom::new().type_(DataZoomType::Slider).bottom(8));
    }
    let mut option = themed(chart, palette);
    // The periods' names, to the tooltip: "2026-05-01" rather than an index.
    option["xAxis"]["name"] = json!(unit);
    option
}

/// Login places on the world's countries, one series per level (every level, so the legend
/// names them all and can hide any), riskiest drawn last, with the busiest impossible-travel
/// routes as curved arrows (a route across the antimeridian as two straight pieces to the
/// map's edges); the reader can zoom and pan. The countries must be registered as
/// [`WORLD_MAP_NAME`] first.
pub fn world_map(map: &MapView, palette: &Palette) -> Value {
    let mut series: Vec<Value> = RiskLevel::ALL
        .iter()
        .map(|&level| {
            let data: Vec<Value> = map
                .places
                .iter()
                .filter(|place| place.worst == level)
                .map(|place| {
                    json!({
                        "name": format!(
                            "{}: {}, {} High or above, highest level {}",
                            place.label,
                            counted(place.logins, "login"),
                            count(place.high_or_above),
                            level.as_str()
                        ),
                        "value": [place.longitude, place.latitude, place.logins],
                        "symbolSize": (4.0 + (place.logins as f64).sqrt() * 1.2).min(20.0),
                    })
                })
                .collect();
            json!({
                "type": "scatter",
                "name": level.as_str(),
                "coordinateSystem": "geo",
                "itemStyle": {"color": palette.level(level), "opacity": 0.85,
                              "borderColor": palette.surface, "borderWidth": 0.5},
                "tooltip": {"formatter": "{b}"},
                "data": data,
            })
        })
        .collect();
    let data: Vec<Value> = map
        .routes
        .iter()
        .flat_map(|route| {
            let (pieces, split) = route.pieces();
            let width = 1.0 + (route.trips as f64).ln_1p() * 0.8;
            pieces.into_iter().map(move |(from, to)| {
                json!({
                    "name": route.label,
                    "coords": [[from.1, from.0], [to.1, to.0]],
                    "lineStyle": {"color": palette.level(route.worst), "width": width,
                                  "curveness": if split { 0.0 } else { 0.25 }},
                })
            })
        })
        .collect();
    series.push(json!({
        "type": "lines",
        "name": "Impossible travel",
        "coordinateSystem": "geo",
        "zlevel": 1,
        "lineStyle": {"width": 1.5, "opacity": 0.9, "curveness": 0.25,
                      "color": palette.critical},
        "effect": {"show": true, "symbol": "arrow", "symbolSize": 6, "period": 5,
                   "trailLength": 0},
        "tooltip": {"formatter": "{b}"},
        "data": data,
    }));
    json!({
        "backgroundColor": "transparent",
        "textStyle": {"color": palette.text},
        "tooltip": tooltip_style(palette, "item"),
        "legend": {"top": 0, "type": "scroll", "textStyle": {"color": palette.text},
                   "pageTextStyle": {"color": palette.text},
                   "pageIconColor": palette.accent, "pageIconInactiveColor": palette.border,
                   "data": ["Low", "Medium", "High", "Critical", "Impossible travel"]},
        "geo": {
            "map": WORLD_MAP_NAME,
            "roam": true,
            "scaleLimit": {"min": 1, "max": 16},
            "top": 32,
            "bottom": 4,
            "itemStyle": {"areaColor": palette.land, "borderColor": palette.land_border,
                          "borderWidth": 0.5},
            "emphasis": {"label": {"show": true, "color": palette.text},
                         "itemStyle": {"areaColor": palette.land_border}},
            "select": {"disabled": true},
            "tooltip": {"show": true, "formatter": "{b}"},
        },
        "series": series,
    })
}

fn tooltip_style(palette: &Palette, trigger: &str) -> Value {
    json!({
        "trigger": trigger,
        "backgroundColor": palette.surface,
        "borderColor": palette.border,
        "textStyle": {"color": palette.text},
    })
}

/// The chart as ECharts option JSON in the theme's colours: a transparent background, text,
/// axes, legend and tooltip in the page's colours; unset (null) fields left out, since ECharts
/// takes an explicit null as a value.
fn themed(chart: Chart, palette: &Palette) -> Value {
    let mut option = without_nulls(serde_json::to_value(&chart).unwrap_or(Value::Null));
    option["backgroundColor"] = json!("transparent");
    option["textStyle"] = json!({"color": palette.text});
    let trigger = option["tooltip"]["trigger"].clone();
    let formatter = option["tooltip"]["formatter"].clone();
    if option.get("tooltip").is_some() {
        option["tooltip"] = tooltip_style(palette, trigger.as_str().unwrap_or("item"));
        if !formatter.is_null() {
            option["tooltip"]["formatter"] = formatter;
        }
    }
    if option.get("legend").is_some() {
        option["legend"]["textStyle"] = json!({"color": palette.text});
    }
    for axes in ["xAxis", "yAxis"] {
        let axis_style = |axis: &mut Value| {
            axis["axisLabel"] = json!({"color": palette.muted});
            axis["nameTextStyle"] = json!({"color": palette.muted});
            axis["axisLine"] = json!({"lineStyle": {"color": palette.border}});
            axis["splitLine"] = json!({"lineStyle": {"color": palette.border, "opacity": 0.6}});
        };
        match option.get_mut(axes) {
            Some(Value::Array(list)) => list.iter_mut().for_each(axis_style),
            Some(axis @ Value::Object(_)) => axis_style(axis),
            _ => {}
        }
    }
    option
}

fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(key, value)| (key, without_nulls(value)))
                .collect(),
        ),
        Value::Array(list) => Value::Array(list.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten logins (four High or above) on the first day, none on the second.
    fn two_days() -> [TrendPoint; 2] {
        [
            TrendPoint {
                start_ms: 0,
                logins: 10,
                high_or_above: 4,
                mean_risk: 0.41234,
            },
            TrendPoint {
                start_ms: 86_400_000,
                logins: 0,
                high_or_above: 0,
                mean_risk: 0.0,
            },
        ]
    }

    #[test]
    fn the_palette_needs_every_colour() {
        let values: Vec<String> = Palette::PROPERTIES
            .iter()
            .enumerate()
            .map(|(index, _)| format!(" #00000{index} "))
            .collect();
        let palette = Palette::from_properties(&values).unwrap();
        assert_eq!(
            (palette.text.as_str(), palette.critical.as_str()),
            ("#000000", "#000009")
        );
        let mut missing = values.clone();
        missing[3] = String::new();
        assert_eq!(
            Palette::from_properties(&missing),
            None,
            "the stylesheet has not loaded"
        );
        assert_eq!(Palette::from_properties(&values[..11]), None);
    }

    #[test]
    fn the_histogram_marks_the_threshold_and_colours_bands_by_level() {
        let mut bins = vec![0; 20];
        bins[1] = 900;
        bins[17] = 3;
        let palette = Palette::default();
        let option = histogram(&bins, 0.7, &palette);
        let series = &option["series"][0];
        assert_eq!(series["type"], "bar");
        let data = series["data"].as_array().unwrap();
        assert_eq!(data.len(), 2, "empty bands have no bar on the log axis");
        assert_eq!(data[0]["value"], json!([0.075, 900.0]));
        assert_eq!(data[0]["name"], "0.05–0.10: 900 logins");
        assert_eq!(data[0]["itemStyle"]["color"], palette.low);
        assert_eq!(data[1]["itemStyle"]["color"], palette.critical);
        assert_eq!(series["markLine"]["data"][0]["xAxis"], 0.7);
        assert_eq!(series["markLine"]["label"]["formatter"], "threshold 0.70");
        assert_eq!(option["yAxis"]["type"], "log");
        assert_eq!(
            (
                option["xAxis"]["min"].clone(),
                option["xAxis"]["max"].clone()
            ),
            (json!(0), json!(1))
        );
        assert_eq!(option["backgroundColor"], "transparent");
        assert_eq!(option["xAxis"]["axisLabel"]["color"], palette.muted);
    }

    #[test]
    fn no_null_reaches_echarts_outside_data() {
        fn nulls(value: &Value, in_data: bool) -> usize {
            match value {
                Value::Null if !in_data => 1,
                Value::Object(map) => map
                    .iter()
                    .map(|(key, value)| nulls(value, in_data || key == "data"))
                    .sum(),
                Value::Array(list) => list.iter().map(|value| nulls(value, in_data)).sum(),
                _ => 0,
            }
        }
        let palette = Palette::default();
        let points = two_days();
        for option in [
            histogram(&[1, 2], 0.5, &palette),
            level_pie(&[(RiskLevel::Low, 2)], &palette),
            trend(&points, "day", &palette),
        ] {
            assert_eq!(nulls(&option, false), 0, "{option:#}");
        }
    }

    #[test]
    fn the_pie_puts_the_riskiest_level_first_in_its_colour() {
        let palette = Palette::default();
        let option = level_pie(
            &[
                (RiskLevel::Low, 90),
                (RiskLevel::Medium, 0),
                (RiskLevel::Critical, 10),
            ],
            &palette,
        );
        let data = option["series"][0]["data"].as_array().unwrap();
        assert_eq!(data.len(), 2, "a level without logins has no slice");
        assert_eq!(
            (data[0]["name"].as_str(), data[0]["value"].as_f64()),
            (Some("Critical"), Some(10.0))
        );
        assert_eq!(data[0]["itemStyle"]["color"], palette.critical);
        assert_eq!(data[1]["name"], "Low");
    }

    #[test]
    fn the_trend_stacks_high_logins_and_leaves_gaps_in_the_mean_risk() {
        let palette = Palette::default();
        let option = trend(&two_days(), "day", &palette);
        assert_eq!(option["xAxis"]["data"], json!(["1970-01-01", "1970-01-02"]));
        let series = option["series"].as_array().unwrap();
        assert_eq!(series[0]["data"], json!([6.0, 0.0]));
        assert_eq!(series[1]["data"], json!([4.0, 0.0]));
        assert_eq!(series[0]["stack"], series[1]["stack"]);
        assert_eq!(series[2]["data"], json!([0.412, null]));
        assert_eq!(series[2]["yAxisIndex"], 1.0);
        assert!(
            option["dataZoom"].as_array().unwrap().len() == 1,
            "no slider for two days"
        );
        let many: Vec<TrendPoint> = (0..100)
            .map(|hour| TrendPoint {
                start_ms: hour * 3_600_000,
                logins: 1,
                high_or_above: 0,
                mean_risk: 0.1,
            })
            .collect();
        let option = trend(&many, "hour", &palette);
        assert_eq!(option["xAxis"]["data"][1], "1970-01-01 01:00");
        assert_eq!(option["dataZoom"][1]["type"], "slider");
    }

    #[test]
    fn the_map_has_a_series_per_level_and_the_routes_as_lines() {
        use service::dashboard::{MapPlace, MapRoute};
        let palette = Palette::default();
        let place = |label: &str, worst, logins| MapPlace {
            latitude: 59.9,
            longitude: 10.7,
            label: label.to_owned(),
            logins,
            high_or_above: 0,
            worst,
        };
        let route = |from, to, label: &str| MapRoute {
            from,
            to,
            label: label.to_owned(),
            trips: 1,
            users: 1,
            worst: RiskLevel::Critical,
        };
        let map = MapView {
            places: vec![
                place("Oslo, NO", RiskLevel::Low, 16),
                place("São Paulo, BR", RiskLevel::Critical, 1),
            ],
            routes: vec![
                route((59.9, 10.7), (-23.5, -46.6), "Oslo → São Paulo"),
                route((35.7, 139.7), (34.1, -118.2), "Tokyo → Los Angeles"),
            ],
            located_logins: 17,
            grid_degrees: 0.1,
            fine_places: 2,
            trips: 2,
            routes_total: 2,
        };
        let option = world_map(&map, &palette);
        assert_eq!(option["geo"]["map"], WORLD_MAP_NAME);
        assert_eq!(option["geo"]["itemStyle"]["areaColor"], palette.land);
        let series = option["series"].as_array().unwrap();
        let names: Vec<&str> = series
            .iter()
            .map(|series| series["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["Low", "Medium", "High", "Critical", "Impossible travel"],
            "every level in the legend, riskiest drawn last"
        );
        assert_eq!(series[0]["data"][0]["value"], json!([10.7, 59.9, 16]));
        assert_eq!(
            series[0]["data"][0]["name"],
            "Oslo, NO: 16 logins, 0 High or above, highest level Low"
        );
        assert_eq!(series[1]["data"], json!([]), "no Medium place");
        assert_eq!(series[3]["itemStyle"]["color"], palette.critical);
        assert_eq!(series[4]["type"], "lines");
        let lines = series[4]["data"].as_array().unwrap();
        assert_eq!(
            lines.len(),
            3,
            "the route across the antimeridian is two pieces"
        );
        assert_eq!(lines[0]["coords"], json!([[10.7, 59.9], [-46.6, -23.5]]));
        assert_eq!(lines[1]["coords"][1][0], 180.0);
        assert_eq!(lines[2]["coords"][0][0], -180.0);
        assert_eq!(lines[1]["lineStyle"]["curveness"], 0.0);
        let empty = world_map(&MapView::default(), &palette);
        assert_eq!(empty["series"].as_array().unwrap().len(), 5);
        assert_eq!(
            empty["legend"]["data"].as_array().unwrap().len(),
            5,
            "the legend names every level even without places"
        );
    }
}
