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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::testdb::TestServer;
    use crate::store::{Member, Store};

    #[test]
    fn each_instance_shows_its_state_heartbeat_and_leases() {
        let Some(server) = TestServer::get() else {
            return;
        };
        let url = server.new_database();
        let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let open = |dir: &std::path::Path, name: &str| {
            let m = Member {
                instance: name.into(),
                lease: Duration::from_secs(30),
            };
            Store::open_postgres(dir, &url, m).unwrap()
        };
        let (a, b) = (open(da.path(), "web-1"), open(db.path(), "web-2"));
        for s in [&a, &b] {
            s.shared().unwrap().heartbeat().unwrap();
        }
        let claimed = a.shared().unwrap().claim("feed:news", false).unwrap();
        assert_eq!(claimed, crate::store::shared::Claim::Claimed);
        let page = table(&b);
        assert!(page.contains("2 instance(s) share this store"), "{page}");
        assert!(
            page.contains("web-1</td>") && page.contains("web-2 (this one)"),
            "{page}"
        );
        assert!(page.contains("feed:news"), "{page}");
        assert_eq!(page.matches("running").count(), 2, "{page}");
        // sled: no table at all.
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(table(&Store::open_dir(dir.path()).unwrap()), "");
    }
}
