//! The PostgreSQL backend against a real server (`testdb.rs` starts one per test process): the
//! store contract every backend passes, and what is PostgreSQL's own (migrations once, leases,
//! delivery claims, notices between instances).

use std::path::Path;
use std::time::Duration;

use super::testdb::TestServer;
use crate::store::contract::Factory;
use crate::store::{Member, Store};

/// The file in a test's state directory naming its database, so reopening the directory reopens
/// the same database.
const DB_FILE: &str = "pg-database-url";

pub fn member(instance: &str) -> Member {
    Member {
        instance: instance.into(),
        lease: Duration::from_secs(30),
    }
}

/// The URL of the database kept for `dir`, made on first use.
pub fn url_for(dir: &Path) -> String {
    let file = dir.join(DB_FILE);
    if let Ok(url) = std::fs::read_to_string(&file) {
        return url;
    }
    let server = TestServer::get().expect("a PostgreSQL server (checked by `ready`)");
    let url = server.new_database();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(&file, &url).unwrap();
    url
}

fn open(dir: &Path) -> Store {
    Store::open_postgres(dir, &url_for(dir), member("test")).unwrap()
}

/// What a killed process leaves of a PostgreSQL store is what it committed: the same database,
/// opened afresh from another state directory.
fn crash_image(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    std::fs::copy(from.join(DB_FILE), to.join(DB_FILE)).unwrap();
}

fn ready() -> bool {
    TestServer::get().is_some()
}

const POSTGRES: Factory = Factory {
    open,
    crash_image,
    ready,
};

crate::contract_tests!(POSTGRES);

mod sharing {
    //! What instances sharing a database rely on, with two backends open on one database as two
    //! instances would have them.

    use std::time::Duration;

    use chrono::Utc;

    use super::*;
    use crate::model::FeedId;
    use crate::store::PgBackend;
    use crate::store::StoreError;
    use crate::store::backend::Backend;
    use crate::store::shared::{Claim, Notice, Shared, members};

    fn pair(lease: Duration) -> Option<(PgBackend, PgBackend)> {
        let url = TestServer::get()?.new_database();
        let open = |name: &str| {
            let m = Member {
                instance: name.into(),
                lease,
            };
            PgBackend::open(&url, m).unwrap()
        };
        Some((open("a"), open("b")))
    }

    #[test]
    fn one_instance_wins_a_lease_and_the_other_hears_who_holds_it_until_when() {
        let Some((a, b)) = pair(Duration::from_secs(30)) else {
            return;
        };
        assert_eq!(a.claim("feed:news", false).unwrap(), Claim::Claimed);
        match b.claim("feed:news", true).unwrap() {
            Claim::Held { by, until } => {
                assert_eq!(by, "a");
                assert!(
                    until > Utc::now() + chrono::Duration::seconds(20),
                    "{until}"
                );
            }
            other => panic!("{other:?}"),
        }
        // Taking one again renews it; renewing one held elsewhere fails.
        assert_eq!(a.claim("feed:news", false).unwrap(), Claim::Claimed);
        assert!(a.renew("feed:news").unwrap());
        assert!(!b.renew("feed:news").unwrap());
    }

    #[test]
    fn a_lease_released_with_its_next_due_time_is_not_due_for_the_others_until_then() {
        let Some((a, b)) = pair(Duration::from_secs(30)) else {
            return;
        };
        assert_eq!(a.claim("feed:news", false).unwrap(), Claim::Claimed);
        let next = Utc::now() + chrono::Duration::minutes(5);
        a.release("feed:news", Some(next)).unwrap();
        match b.claim("feed:news", false).unwrap() {
            Claim::NotDue { due } => assert_eq!(due.timestamp(), next.timestamp()),
            other => panic!("{other:?}"),
        }
        // run-now (forced) takes it anyway, the lease being free.
        assert_eq!(b.claim("feed:news", true).unwrap(), Claim::Claimed);
    }

    #[test]
    fn a_lease_its_holder_stopped_renewing_runs_out_and_another_instance_takes_it() {
        let Some((a, b)) = pair(Duration::from_millis(600)) else {
            return;
        };
        assert_eq!(a.claim("webhook:team", true).unwrap(), Claim::Claimed);
        assert!(matches!(
            b.claim("webhook:team", true).unwrap(),
            Claim::Held { .. }
        ));
        // `a` dies here: nothing renews its lease.
        std::thread::sleep(Duration::from_millis(900));
        assert_eq!(b.claim("webhook:team", true).unwrap(), Claim::Claimed);
        assert!(!a.renew("webhook:team").unwrap(), "a lost it");
    }

    fn queued(backend: &PgBackend, hook: &str, id: &str) {
        let d = crate::store::contract::delivery(hook, id);
        backend.transact(&mut |tx| tx.enqueue(&d)).unwrap();
    }

    #[test]
    fn a_claimed_delivery_waits_for_its_claim_to_run_out_before_another_instance_sends_it() {
        let Some((a, b)) = pair(Duration::from_millis(600)) else {
            return;
        };
        queued(&a, "team", "m1");
        assert!(a.claim_delivery("team", "m1").unwrap());
        assert!(a.claim_delivery("team", "m1").unwrap(), "its own claim");
        assert!(!b.claim_delivery("team", "m1").unwrap());
        std::thread::sleep(Duration::from_millis(900));
        assert!(b.claim_delivery("team", "m1").unwrap());
        assert!(!b.claim_delivery("team", "gone").unwrap(), "not queued");
    }

    #[test]
    fn notices_of_queued_deliveries_and_published_files_reach_the_other_instance() {
        let Some((a, b)) = pair(Duration::from_secs(30)) else {
            return;
        };
        let mut heard = b.subscribe();
        // The listener connects in the background: notices sent before it listens are lost, so
        // send until one arrives (each try a new commit).
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut n = 0;
        let got = loop {
            n += 1;
            queued(&a, "team", &format!("m{n}"));
            let next = rt.block_on(async {
                tokio::time::timeout(Duration::from_millis(300), heard.recv()).await
            });
            if let Ok(Ok(notice)) = next {
                break notice;
            }
            assert!(std::time::Instant::now() < deadline, "no notice arrived");
        };
        assert_eq!(got, Notice::Queued("team".into()));
        // The listener is up; late copies of the tries above are left behind.
        std::thread::sleep(Duration::from_millis(300));
        let mut heard = b.subscribe();
        let feed = FeedId::new("news").unwrap();
        let mut own = a.subscribe();
        a.put_rendered(&feed, &[("news.rss".into(), b"<rss/>".to_vec())])
            .unwrap();
        queued(&a, "team", "after");
        // `a` hears its own queued delivery, never its own files (it wrote them).
        let first =
            rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), own.recv()).await });
        assert_eq!(first.unwrap().unwrap(), Notice::Queued("team".into()));
        let next = rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(10), heard.recv()).await });
        assert_eq!(next.unwrap().unwrap(), Notice::Published("news".into()));
        let stored = b.rendered(&feed).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].body, b"<rss/>");
        // The same bytes again keep their time; new bytes get a new one.
        let first = stored[0].modified;
        a.put_rendered(&feed, &[("news.rss".into(), b"<rss/>".to_vec())])
            .unwrap();
        assert_eq!(b.rendered(&feed).unwrap()[0].modified, first);
        a.put_rendered(&feed, &[("news.rss".into(), b"<rss>2</rss>".to_vec())])
            .unwrap();
        assert!(b.rendered(&feed).unwrap()[0].modified > first);
    }

    #[test]
    fn instances_are_listed_with_their_leases_and_one_that_leaves_is_gone_with_them() {
        let Some((a, b)) = pair(Duration::from_secs(30)) else {
            return;
        };
        a.heartbeat().unwrap();
        b.heartbeat().unwrap();
        assert_eq!(a.claim("feed:news", false).unwrap(), Claim::Claimed);
        let listed = members(&b).unwrap();
        let ids: Vec<&str> = listed.iter().map(|(i, _)| i.id.as_str()).collect();
        assert_eq!(ids.len(), 2, "{ids:?}");
        let a_row = listed.iter().find(|(i, _)| i.id == "a").unwrap();
        assert_eq!(a_row.1, ["feed:news"]);
        assert_eq!(a_row.0.pid, std::process::id());
        a.leave().unwrap();
        let listed = members(&b).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            b.claim("feed:news", true).unwrap(),
            Claim::Claimed,
            "let go"
        );
    }

    #[test]
    fn instances_starting_together_migrate_the_database_once() {
        let Some(server) = TestServer::get() else {
            return;
        };
        let url = server.new_database();
        let opened: Vec<_> = (0..4)
            .map(|i| {
                let url = url.clone();
                std::thread::spawn(move || PgBackend::open(&url, member(&format!("i{i}"))))
            })
            .collect();
        let backends: Vec<PgBackend> = opened
            .into_iter()
            .map(|t| t.join().unwrap().unwrap())
            .collect();
        let rows = backends[0]
            .q(
                "SELECT version FROM fw_schema",
                super::super::bridge::params![],
            )
            .unwrap();
        assert_eq!(rows.len(), super::super::schema::SCHEMA_VERSION as usize);
    }

    #[test]
    fn a_database_a_newer_feedwright_migrated_is_refused_with_a_hint() {
        let Some(server) = TestServer::get() else {
            return;
        };
        let url = server.new_database();
        let first = PgBackend::open(&url, member("a")).unwrap();
        first
            .x(
                "INSERT INTO fw_schema (version) VALUES (99)",
                super::super::bridge::params![],
            )
            .unwrap();
        let err = PgBackend::open(&url, member("b")).err().unwrap();
        assert!(
            matches!(err, StoreError::SchemaTooNew { found: 99, .. }),
            "{err}"
        );
    }

    #[test]
    fn an_unreachable_server_is_named_without_its_password() {
        let err = PgBackend::open("postgres://reader:s3cret@127.0.0.1:1/news", member("a"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("postgres://reader:***@127.0.0.1:1/news"),
            "{err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
        assert!(err.contains("hint:"), "{err}");
    }
}

#[test]
fn database_urls_are_shown_without_their_passwords() {
    use crate::config::env::show_db_url as show_url;
    assert_eq!(
        show_url("postgres://fw:pw@db.test:5433/feeds?sslmode=require&password=x"),
        "postgres://fw:***@db.test:5433/feeds"
    );
    assert_eq!(
        show_url("postgres://fw@db.test/feeds"),
        "postgres://fw@db.test/feeds"
    );
    let broken = show_url("postgres://fw:hunter2@db.test:99999/feeds");
    assert!(
        !broken.contains("hunter2") && broken.contains("db.test"),
        "{broken}"
    );
    assert_eq!(
        show_url("host=db.test user=fw password=hunter2 dbname=feeds"),
        "host=db.test user=fw password=*** dbname=feeds"
    );
}

#[test]
fn an_export_is_one_moment_of_a_store_other_instances_write_to() {
    use crate::store::backend::{Backend, Dumped};
    let Some(server) = TestServer::get() else {
        return;
    };
    let url = server.new_database();
    let pg = crate::store::PgBackend::open(&url, member("a")).unwrap();
    let feed = crate::model::FeedId::new("news").unwrap();
    let put = |n: usize| {
        let item = crate::model::StoredItem {
            feed: feed.clone(),
            item: crate::model::Item::new(format!("https://x.test/{n}"), "T"),
            first_seen: chrono::Utc::now(),
            updated: chrono::Utc::now(),
            run: 1,
            seq: 0,
            hash: String::new(),
        };
        pg.transact(&mut |tx| tx.put_item(&item, None)).unwrap();
    };
    put(1);
    put(2);
    // While the export reads its first table, another writer adds an item and queues a delivery
    // (a table read later): the export sees neither.
    let (mut items, mut deliveries, mut wrote) = (0, 0, false);
    pg.dump(&mut |d| {
        match d {
            Ok(Dumped::Item(_)) => items += 1,
            Ok(Dumped::Delivery(_)) => deliveries += 1,
            _ => {}
        }
        if !wrote {
            wrote = true;
            put(3);
            let d = crate::store::contract::delivery("team", "m1");
            pg.transact(&mut |tx| tx.enqueue(&d)).unwrap();
        }
        Ok(())
    })
    .unwrap();
    assert_eq!((items, deliveries), (2, 0));
    assert_eq!(pg.count(&feed).unwrap(), 3);
    assert_eq!(pg.deliveries("team").unwrap().len(), 1);
}
