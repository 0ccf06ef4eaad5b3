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

fn member(instance: &str) -> Member {
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
