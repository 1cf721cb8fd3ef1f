//! Figures, their targets, the human table and the JSON Lines output.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use crate::error::{Context, Result};

/// What a figure should reach (from issue 6).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Target {
    /// `ratio` (product / baseline) at least this.
    RatioAtLeast(f64),
    /// `ratio` at most this.
    RatioAtMost(f64),
    /// `value` at most this.
    ValueAtMost(f64),
}

impl Target {
    fn describe(&self, unit: &str) -> String {
        match self {
            Target::RatioAtLeast(r) => format!("ratio >= {r}"),
            Target::RatioAtMost(r) => format!("ratio <= {r}"),
            Target::ValueAtMost(v) => format!("<= {} {unit}", number(*v)),
        }
    }

    fn met(&self, value: f64, ratio: Option<f64>) -> Option<bool> {
        match self {
            Target::RatioAtLeast(r) => ratio.map(|x| x >= *r),
            Target::RatioAtMost(r) => ratio.map(|x| x <= *r),
            Target::ValueAtMost(v) => Some(value <= *v),
        }
    }
}

/// One measured figure.
#[derive(Debug, Clone)]
pub(crate) struct Figure {
    /// Stable identifier (`large_upload_throughput`).
    pub name: String,
    /// The product's value.
    pub value: f64,
    /// Unit of `value` and `baseline`.
    pub unit: &'static str,
    /// The baseline's value, when there is one.
    pub baseline: Option<f64>,
    /// `value / baseline` (for throughputs: product speed over baseline speed).
    pub ratio: Option<f64>,
    /// The goal, when the issue sets one.
    pub target: Option<Target>,
    /// How it was measured, in a few words.
    pub note: String,
}

impl Figure {
    /// A figure without baseline or target.
    pub(crate) fn info(
        name: &str,
        value: f64,
        unit: &'static str,
        note: impl Into<String>,
    ) -> Self {
        Self {
            name: name.to_string(),
            value,
            unit,
            baseline: None,
            ratio: None,
            target: None,
            note: note.into(),
        }
    }

    /// A figure compared with a baseline (ratio = value / baseline).
    pub(crate) fn compared(
        name: &str,
        value: f64,
        baseline: f64,
        unit: &'static str,
        note: impl Into<String>,
    ) -> Self {
        let ratio = (baseline != 0.0).then(|| value / baseline);
        Self {
            baseline: Some(baseline),
            ratio,
            ..Self::info(name, value, unit, note)
        }
    }

    /// Sets the target.
    pub(crate) fn target(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }

    /// Whether the target is met (`None` without a target or a ratio to judge).
    pub(crate) fn met(&self) -> Option<bool> {
        self.target.and_then(|t| t.met(self.value, self.ratio))
    }

    /// The JSON object of this figure.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        json!({
            "name": self.name,
            "value": finite(self.value),
            "unit": self.unit,
            "baseline": self.baseline.and_then(finite),
            "ratio": self.ratio.and_then(finite),
            "target": self.target.map(|t| t.describe(self.unit)),
            "met": self.met(),
            "note": self.note,
        })
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some((v * 10_000.0).round() / 10_000.0)
}

/// A number for the table: few decimals for small values, none for large ones.
pub(crate) fn number(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a >= 1000.0 || (a.fract() == 0.0 && a < 1e15) {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// The human table of all figures (and failed phases).
pub(crate) fn table(figures: &[Figure], failures: &[String]) -> String {
    let header = [
        "figure", "value", "unit", "baseline", "ratio", "target", "met",
    ];
    let rows: Vec<[String; 7]> = figures
        .iter()
        .map(|f| {
            [
                f.name.clone(),
                number(f.value),
                f.unit.to_string(),
                f.baseline.map(number).unwrap_or_else(|| "-".into()),
                f.ratio.map(number).unwrap_or_else(|| "-".into()),
                f.target
                    .map(|t| t.describe(f.unit))
                    .unwrap_or_else(|| "-".into()),
                match f.met() {
                    Some(true) => "yes".into(),
                    Some(false) => "NO".into(),
                    None => "-".into(),
                },
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w.saturating_sub(cell.chars().count());
            // Names and units left-aligned, numbers right-aligned.
            if matches!(i, 0 | 2 | 5 | 6) {
                let _ = write!(text, "{cell}{}  ", " ".repeat(pad));
            } else {
                let _ = write!(text, "{}{cell}  ", " ".repeat(pad));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&header.map(String::from), &mut out);
    line(&widths.map(|w| "-".repeat(w)), &mut out);
    for row in &rows {
        line(row, &mut out);
    }
    out.push_str("\nnotes:\n");
    for f in figures.iter().filter(|f| !f.note.is_empty()) {
        let _ = writeln!(out, "  {}: {}", f.name, f.note);
    }
    if !failures.is_empty() {
        out.push_str("\nFAILED:\n");
        for f in failures {
            let _ = writeln!(out, "  {f}");
        }
    }
    out
}

/// Writes the figures as JSON Lines: one JSON object per line, one line per figure.
pub(crate) fn write_json_lines(path: &Path, figures: &[Figure]) -> Result<()> {
    let mut text = String::new();
    for f in figures {
        text.push_str(&f.to_json().to_string());
        text.push('\n');
    }
    std::fs::write(path, text).context(format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_judged_on_ratio_or_value() {
        let fast =
            Figure::compared("up", 95.0, 100.0, "MB/s", "").target(Target::RatioAtLeast(0.9));
        assert_eq!(fast.met(), Some(true));
        let slow =
            Figure::compared("up", 80.0, 100.0, "MB/s", "").target(Target::RatioAtLeast(0.9));
        assert_eq!(slow.met(), Some(false));
        let mem = Figure::info("mem", 70.0, "MiB", "").target(Target::ValueAtMost(64.0));
        assert_eq!(mem.met(), Some(false));
        let slowdown = Figure::compared("t", 10.5, 10.0, "s", "").target(Target::RatioAtMost(1.1));
        assert_eq!(slowdown.met(), Some(true));
        assert_eq!(Figure::info("x", 1.0, "s", "").met(), None);
        // No baseline measured: no ratio, so a ratio target cannot be judged.
        let lone = Figure::info("y", 1.0, "MB/s", "").target(Target::RatioAtLeast(0.9));
        assert_eq!(lone.met(), None);
    }

    #[test]
    fn json_has_the_fields_the_issue_asks_for() {
        let f = Figure::compared("small_upload", 400.0, 500.0, "files/s", "n")
            .target(Target::RatioAtLeast(0.8));
        let v = f.to_json();
        assert_eq!(v["name"], "small_upload");
        assert_eq!(v["value"], 400.0);
        assert_eq!(v["unit"], "files/s");
        assert_eq!(v["baseline"], 500.0);
        assert_eq!(v["ratio"], 0.8);
        assert_eq!(v["met"], true);
        assert_eq!(v["target"], "ratio >= 0.8");
        let none = Figure::info("idle", 1.0, "requests", "").to_json();
        assert!(none["baseline"].is_null() && none["ratio"].is_null() && none["met"].is_null());
    }

    #[test]
    fn table_lists_every_figure_and_failure() {
        let figures = vec![
            Figure::compared("a", 1.0, 2.0, "MB/s", "note a"),
            Figure::info("b", 12345.0, "requests", ""),
        ];
        let t = table(&figures, &["phase x: broke".into()]);
        assert!(t.contains("a ") && t.contains("12345") && t.contains("0.500"));
        assert!(t.contains("note a") && t.contains("phase x: broke"));
    }
}
