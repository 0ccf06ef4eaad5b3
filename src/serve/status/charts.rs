//! The per-feed page's charts as inline SVG (no script, no library): items per day over the last
//! 30 days, from the stored items, and the durations of the recent runs, from the run history.
//! Each bar carries a `<title>`, which browsers show on hover and screen readers read.

use chrono::{DateTime, Duration, Utc};

use super::parts::{duration, utc};
use crate::extract::text::escape_html as esc;
use crate::model::StoredItem;
use crate::store::PastRun;

/// Days the items chart covers, today included.
pub(super) const DAYS: usize = 30;

/// One bar: its height's value, what its tooltip says, and whether it marks a failure.
struct Bar {
    value: f64,
    label: String,
    failed: bool,
}

// The drawing area inside the SVG's view box.
const W: f64 = 600.0;
const H: f64 = 170.0;
const LEFT: f64 = 84.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 136.0;

/// Items per day of the last `DAYS` days (by their date, or when they were first seen), oldest
/// on the left.
pub(super) fn items_per_day(items: &[StoredItem], now: DateTime<Utc>) -> String {
    let today = now.date_naive();
    let mut counts = [0usize; DAYS];
    for s in items {
        let ago = (today - s.published().date_naive()).num_days();
        if let Ok(ago) = usize::try_from(ago)
            && ago < DAYS
        {
            counts[DAYS - 1 - ago] += 1;
        }
    }
    let day = |i: usize| today - Duration::days((DAYS - 1 - i) as i64);
    let bars: Vec<Bar> = counts
        .iter()
        .enumerate()
        .map(|(i, &n)| Bar {
            value: n as f64,
            label: format!("{}: {n} item(s)", day(i)),
            failed: false,
        })
        .collect();
    let total: usize = counts.iter().sum();
    let axis = (day(0).to_string(), "today".to_string());
    figure(
        "items-per-day",
        &format!("Items per day, last {DAYS} days ({total} in all, by their date)"),
        &bars,
        &|v| format!("{v:.0}"),
        axis,
    )
}

/// The durations of the runs in `runs` (newest first, as the run record keeps them), oldest on
/// the left; failed runs in red. Runs recorded before durations were measured count as 0.
pub(super) fn run_durations(runs: &[PastRun]) -> String {
    let bars: Vec<Bar> = runs
        .iter()
        .rev()
        .map(|r| {
            let ms = r.duration_ms.unwrap_or(0);
            let took = r.duration_ms.map_or("not timed".to_string(), duration);
            let outcome = if r.ok { "ok" } else { "failed" };
            Bar {
                value: ms as f64,
                label: format!("{}: {outcome}, {took}, {} new", utc(r.at), r.new),
                failed: !r.ok,
            }
        })
        .collect();
    let axis = match (runs.last(), runs.first()) {
        (Some(oldest), Some(newest)) => (utc(oldest.at), utc(newest.at)),
        _ => (String::new(), String::new()),
    };
    let failed = runs.iter().filter(|r| !r.ok).count();
    figure(
        "run-durations",
        &format!(
            "Run durations, last {} run(s){}",
            runs.len(),
            if failed > 0 {
                format!(" ({failed} failed, in red)")
            } else {
                String::new()
            }
        ),
        &bars,
        &|v| duration(v as u64),
        axis,
    )
}

/// A bar chart in a `<figure>`: the largest value labels the top of the axis, `axis` the first
/// and last bar.
fn figure(
    id: &str,
    caption: &str,
    bars: &[Bar],
    unit: &dyn Fn(f64) -> String,
    axis: (String, String),
) -> String {
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let slot = (W - LEFT - 4.0) / bars.len().max(1) as f64;
    let rects: String = bars
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let h = if max > 0.0 {
                (b.value / max * (BOTTOM - TOP)).max(if b.value > 0.0 { 1.5 } else { 0.0 })
            } else {
                0.0
            };
            let fill = if b.failed { "#c0392b" } else { "#0b5cad" };
            format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{fill}\"><title>{}</title></rect>",
                LEFT + i as f64 * slot + slot * 0.1,
                BOTTOM - h,
                slot * 0.8,
                esc(&b.label)
            )
        })
        .collect();
    let empty = if bars.is_empty() {
        format!(
            "<text x=\"{}\" y=\"80\" font-size=\"18\" fill=\"#6a6a6a\">no runs yet</text>",
            LEFT + 10.0
        )
    } else {
        String::new()
    };
    format!(
        "<figure class=\"chart\" id=\"{id}\"><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{cap}\">\
         <line x1=\"{LEFT}\" y1=\"{BOTTOM}\" x2=\"{W}\" y2=\"{BOTTOM}\" stroke=\"#999\"/>\
         <line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{BOTTOM}\" stroke=\"#999\"/>\
         <text x=\"{lx}\" y=\"{ty}\" font-size=\"17\" text-anchor=\"end\" fill=\"#555\">{top}</text>\
         <text x=\"{lx}\" y=\"{BOTTOM}\" font-size=\"17\" text-anchor=\"end\" fill=\"#555\">0</text>\
         {rects}{empty}\
         <text x=\"{LEFT}\" y=\"{by}\" font-size=\"17\" fill=\"#555\">{first}</text>\
         <text x=\"{W}\" y=\"{by}\" font-size=\"17\" text-anchor=\"end\" fill=\"#555\">{last}</text>\
         </svg><figcaption>{cap}</figcaption></figure>\n",
        cap = esc(caption),
        lx = LEFT - 4.0,
        ty = TOP + 14.0,
        by = BOTTOM + 24.0,
        top = esc(&unit(max)),
        first = esc(&axis.0),
        last = esc(&axis.1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_fall_on_their_day_and_older_ones_are_left_out() {
        let now: DateTime<Utc> = "2026-11-30T12:00:00Z".parse().unwrap();
        let at = |s: &str| {
            let mut item = crate::model::Item::new(s, s);
            item.published = Some(s.parse().unwrap());
            StoredItem {
                feed: crate::model::FeedId::new("news").unwrap(),
                item,
                first_seen: now,
                updated: now,
                run: 1,
                seq: 0,
                hash: String::new(),
            }
        };
        let items = [
            at("2026-11-30T01:00:00Z"),
            at("2026-11-30T02:00:00Z"),
            at("2026-11-01T02:00:00Z"),
            at("2026-10-01T02:00:00Z"),
        ];
        let svg = items_per_day(&items, now);
        assert!(
            svg.contains("<title>2026-11-30: 2 item(s)</title>"),
            "{svg}"
        );
        assert!(
            svg.contains("<title>2026-11-01: 1 item(s)</title>"),
            "{svg}"
        );
        assert!(svg.contains("(3 in all"), "{svg}");
        assert_eq!(svg.matches("<rect").count(), DAYS);
    }

    #[test]
    fn failed_runs_are_red_and_the_longest_run_labels_the_axis() {
        let run = |at: &str, ok: bool, ms: Option<u64>| PastRun {
            at: at.parse().unwrap(),
            ok,
            new: 1,
            duration_ms: ms,
        };
        let runs = [
            run("2026-11-30T02:00:00Z", true, Some(1200)),
            run("2026-11-30T01:00:00Z", false, Some(4500)),
            run("2026-11-30T00:00:00Z", true, None),
        ];
        let svg = run_durations(&runs);
        assert_eq!(svg.matches("fill=\"#c0392b\"").count(), 1);
        assert!(svg.contains(">4.5 s</text>"), "{svg}");
        assert!(svg.contains("not timed"), "{svg}");
        assert!(run_durations(&[]).contains("no runs yet"));
    }
}
