//! What the status pages share: the page frame and its style (readable from 390 px wide up: on a
//! narrow screen each table row becomes a card, its cells labelled), and how times are written.

use chrono::{DateTime, Utc};

use crate::extract::text::escape_html as esc;

const STYLE: &str = "*{box-sizing:border-box}\
body{font:16px/1.5 system-ui,sans-serif;max-width:64rem;margin:0 auto;padding:1rem;color:#222;overflow-wrap:break-word}\
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.25rem;margin:1.5rem 0 .5rem}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}\
th{font-weight:600;background:#f6f6f6;white-space:nowrap}.err,code,td a{overflow-wrap:anywhere}.ok{color:#1a7f37}.failed{color:#c0392b;font-weight:600}.err{color:#c0392b;font-size:.9rem}\
.muted{color:#6a6a6a}a{color:#0b5cad}code{font-size:.9rem}.note{background:#fff8e1;border:1px solid #f0d890;border-radius:.4rem;padding:.5rem .75rem}\
.actions{margin:.5rem 0}.actions form{display:flex;flex-wrap:wrap;gap:.4rem}.actions input{min-width:0;flex:1 1 12rem;padding:.3rem}.actions button{padding:.35rem .9rem}.chart svg{width:100%;height:auto;display:block;max-width:40rem}\
.chart figcaption{font-size:.9rem;color:#6a6a6a}ol.items{padding-left:1.2rem}ol.items li{margin:.35rem 0}\
@media (max-width:40rem){body{padding:.75rem}table.cards thead{display:none}table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}\
table.cards tr{border:1px solid #ddd;border-radius:.4rem;margin:.6rem 0;padding:.2rem .1rem}table.cards td{border:none;padding:.25rem .6rem}\
table.cards td[data-label]::before{content:attr(data-label);display:block;font-size:.8rem;font-weight:600;color:#6a6a6a}}";

/// A button that POSTs to `action` (see `serve/admin.rs`), shown only while `[http] admin` is on;
/// with an admin token configured, a field to type it in (needed from other hosts than loopback).
pub(super) fn button(admin: &crate::config::AdminSettings, action: &str, label: &str) -> String {
    if !admin.on {
        return String::new();
    }
    let token = if admin.token.is_some() {
        "<input type=\"password\" name=\"token\" placeholder=\"admin token (not needed from this host)\" autocomplete=\"off\"> "
    } else {
        ""
    };
    format!(
        "<form method=\"post\" action=\"{}\">{token}<button type=\"submit\">{}</button></form>",
        esc(action),
        esc(label)
    )
}

/// A whole page: `head` goes into `<head>` after the title and style.
pub(super) fn page(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title>\n{head}<style>{STYLE}</style></head><body>\n{body}</body></html>\n",
        esc(title)
    )
}

/// "in 4 min", "12 min ago".
pub(super) fn when(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (t - now).num_seconds();
    let (n, ago) = (secs.unsigned_abs(), secs < 0);
    let span = match n {
        0..60 => format!("{n} s"),
        60..3600 => format!("{} min", n / 60),
        3600..172_800 => format!("{} h", n / 3600),
        _ => format!("{} days", n / 86_400),
    };
    if ago {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

/// A time to the minute, in UTC.
pub(super) fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A duration of milliseconds as people read it: "850 ms", "4.2 s", "3 min 5 s".
pub(super) fn duration(ms: u64) -> String {
    match ms {
        0..1000 => format!("{ms} ms"),
        1000..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min {} s", ms / 60_000, ms % 60_000 / 1000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(4_240), "4.2 s");
        assert_eq!(duration(185_000), "3 min 5 s");
    }
}
