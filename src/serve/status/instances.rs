//! The status page's "Instances" table, when several instances share the store (PostgreSQL): each
//! one's host, version, last heartbeat and the leases it holds (the feeds it runs now, the webhook
//! queues it sends).

use super::parts::{utc, when};
use crate::extract::text::escape_html as esc;
use crate::store::Store;
use crate::store::shared::{alive, members};

/// The table, or nothing with sled (one instance).
pub(in crate::serve) fn table(store: &Store) -> String {
    let Some(shared) = store.shared() else {
        return String::new();
    };
    let members = match members(shared) {
        Ok(m) => m,
        Err(e) => {
            return format!(
                "<h2>Instances</h2><p class=\"failed\">Cannot read them: {}</p>\n",
                esc(&e.to_string())
            );
        }
    };
    let rows: String = members
        .iter()
        .map(|(i, held)| {
            let state = if alive(i, shared.lease()) {
                "<span class=\"ok\">running</span>".to_string()
            } else {
                "<span class=\"failed\">silent</span> (its leases have run out)".to_string()
            };
            let me = if i.id == shared.instance() {
                " (this one)"
            } else {
                ""
            };
            let held = if held.is_empty() {
                "<span class=\"muted\">none</span>".to_string()
            } else {
                esc(&held.join(", "))
            };
            format!(
                "<tr><td data-label=\"Instance\">{}{me}</td><td data-label=\"State\">{state}</td>\
                 <td data-label=\"Host\">{} (pid {}), v{}</td><td data-label=\"Up since\">{}</td>\
                 <td data-label=\"Heartbeat\">{}</td><td data-label=\"Leases\">{held}</td></tr>\n",
                esc(&i.id),
                esc(&i.host),
                i.pid,
                esc(&i.version),
                utc(i.started_at),
                when(i.heartbeat_at, i.now),
            )
        })
        .collect();
    format!(
        "<h2>Instances</h2><p class=\"muted\">{} instance(s) share this store; a lease lasts {} unless its holder renews it.</p>\
         <table class=\"cards\"><thead><tr><th>Instance</th><th>State</th><th>Host</th><th>Up since</th><th>Heartbeat</th><th>Leases</th></tr></thead><tbody>\n{rows}</tbody></table>\n",
        members.len(),
        humantime::format_duration(shared.lease())
    )
}
