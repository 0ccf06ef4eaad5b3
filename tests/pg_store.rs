//! A PostgreSQL store from the operator's side, where no server is needed to see it: a database
//! that does not answer is a temporary failure named without its password, and the sled-only
//! salvage says what to use instead. (The store's behaviour against a real server is tested in
//! `src/store/postgres/tests.rs` and `tests/instances.rs`.)

use crate::support::{Project, text};

/// A URL on which nothing listens (port 1 of 127.0.0.1 refuses at once), with a password.
const DOWN: &str =
    "[store]\nkind = \"postgres\"\nurl = \"postgres://feeds:pAsSwOrD99@127.0.0.1:1/feeds\"\n";

#[test]
fn a_database_that_does_not_answer_at_start_is_exit_75_named_without_its_password() {
    let project = Project::new(DOWN);
    for args in [&["run"][..], &["once"][..], &["status"][..]] {
        let out = project.run(args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(75), "{args:?}: {stderr}");
        assert!(
            stderr.contains(
                "cannot open the PostgreSQL store at postgres://feeds:***@127.0.0.1:1/feeds"
            ),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("hint:"), "{stderr}");
        assert!(
            !stderr.contains("pAsSwOrD99") && !stdout.contains("pAsSwOrD99"),
            "{stderr}"
        );
    }
}

#[test]
fn salvage_on_a_postgres_store_is_refused_with_what_to_use_instead() {
    let project = Project::new(DOWN);
    let out = project.run(&["export", "--salvage"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains("PostgreSQL"), "{stderr}");
    assert!(stderr.contains("pg_dump"), "{stderr}");
}
