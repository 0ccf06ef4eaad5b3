//! The HTTP server cannot be starved (issue 19): 2,000 slow connections from one client on
//! loopback against a daemon with a small `[http] max_connections`; `/healthz` keeps answering,
//! connections beyond the cap get a 503 at once, slow ones are closed by `header_timeout`, idle
//! ones by `idle_timeout`; the shedding is logged and counted in `/metrics`.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::Project;

/// A serving project whose `[http]` table also holds `keys`.
fn serving_with(keys: &str) -> Project {
    let project = Project::serving("");
    let config = std::fs::read_to_string(project.config()).unwrap();
    let listen = "listen = \"127.0.0.1:0\"\n";
    assert!(config.contains(listen), "{config}");
    project.write(
        "config/feedwright.toml",
        &config.replace(listen, &format!("{listen}{keys}\n")),
    );
    project
}

/// Lets this test process hold a few thousand sockets (the soft limit may be 1,024).
fn raise_fd_limit(want: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        if lim.rlim_cur < want as libc::rlim_t {
            lim.rlim_cur = lim.rlim_max.min(want as libc::rlim_t);
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
        }
    }
}

/// One request on a new connection, with timeouts so a starved server fails the test instead
/// of hanging it: the status and the body, or the error.
fn answer(addr: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(15)))?;
    // A shed connection may be answered and closed before the request is written.
    let _ = write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let raw = read_all(&mut s)?;
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, raw))
}

/// Everything until the server closes; a reset after some bytes ends it too (a shed
/// connection's request may arrive after the server closed it), an error before any is returned.
fn read_all(s: &mut TcpStream) -> std::io::Result<String> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset && !raw.is_empty() => break,
            Err(e) => return Err(e),
        }
    }
    Ok(String::from_utf8_lossy(&raw).into_owned())
}

/// How the server ended one slow connection.
#[derive(Debug, Default)]
struct Ends {
    shed: usize,
    closed: usize,
    hung: usize,
    other: Vec<String>,
}

/// Opens `per_thread` connections on each of `threads` threads, sends half a request line on
/// each and stalls; once `go` is set, reads each to its end (15 s at most) and says how it ended.
fn slow_clients(
    addr: &str,
    threads: usize,
    per_thread: usize,
    opened: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> Vec<std::thread::JoinHandle<Ends>> {
    (0..threads)
        .map(|_| {
            let (addr, opened) = (addr.to_string(), opened.clone());
            std::thread::spawn(move || {
                let mut streams = Vec::new();
                for _ in 0..per_thread {
                    let mut s = TcpStream::connect(&addr).unwrap();
                    let _ = s.write_all(b"GET /healthz HT");
                    streams.push(s);
                    opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                let mut ends = Ends::default();
                for mut s in streams {
                    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
                    match read_all(&mut s) {
                        Ok(raw) if raw.starts_with("HTTP/1.1 503") => ends.shed += 1,
                        Ok(raw) if raw.is_empty() => ends.closed += 1,
                        Ok(raw) => ends.other.push(raw),
                        Err(e)
                            if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                        {
                            ends.hung += 1
                        }
                        // Reset: closed.
                        Err(_) => ends.closed += 1,
                    }
                }
                ends
            })
        })
        .collect()
}

/// The value of an unlabelled series in `/metrics`.
fn metric(addr: &str, name: &str) -> f64 {
    let (_, text) = answer(addr, "/metrics").unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn two_thousand_slow_connections_do_not_stop_healthz() {
    raise_fd_limit(4096);
    let project = serving_with("max_connections = 32\nheader_timeout = \"2s\"");
    // The daemon gets systemd's default of 1,024 descriptors, under which 1,100 slow
    // connections once starved it.
    let mut daemon = project.start_daemon_with_fd_limit(1024);
    let addr = daemon.addr.clone();
    assert_eq!(answer(&addr, "/healthz").unwrap().0, 200);

    let opened = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let clients = slow_clients(&addr, 16, 125, opened.clone());
    daemon.wait_for_log("HTTP connection cap reached");

    // While the slow clients connect and stall, /healthz gets an answer every time: a 503 with
    // Retry-After at once while every slot is held, a 200 once header_timeout has freed them.
    let start = Instant::now();
    let (mut shed, mut ok) = (0, 0);
    while ok == 0 || opened.load(std::sync::atomic::Ordering::Relaxed) < 2000 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no 200 from /healthz"
        );
        let (status, raw) = answer(&addr, "/healthz").expect("/healthz did not answer");
        match status {
            200 => ok += 1,
            503 => {
                assert!(raw.contains("Retry-After: 5"), "{raw}");
                assert!(raw.contains("too many connections"), "{raw}");
                shed += 1;
            }
            _ => panic!("unexpected answer from /healthz:\n{raw}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut ends = Ends::default();
    for c in clients {
        let e = c.join().unwrap();
        ends.shed += e.shed;
        ends.closed += e.closed;
        ends.hung += e.hung;
        ends.other.extend(e.other);
    }
    eprintln!("slow connections: {ends:?}; /healthz: {ok} x 200, {shed} x 503");
    assert_eq!(ends.hung, 0, "slow connections left open: {ends:?}");
    assert!(ends.other.is_empty(), "{:?}", ends.other);
    assert_eq!(ends.shed + ends.closed, 2000);
    assert!(ends.shed > 0, "none shed: {ends:?}");
    // At least the first 32 held a slot until the header timeout closed them.
    assert!(ends.closed >= 32, "{ends:?}");

    daemon.wait_for_log("no longer shedding");
    assert!(metric(&addr, "feedwright_http_connections_shed_total") >= ends.shed as f64);
    assert!(metric(&addr, "feedwright_http_header_timeouts_total") >= 32.0);
    // Only the /metrics request itself is open now.
    assert_eq!(metric(&addr, "feedwright_http_connections_open"), 1.0);
    // Logged once per episode, not per connection.
    let starts = daemon.log().matches("HTTP connection cap reached").count();
    assert!(starts < 10, "{starts} shedding lines");
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn a_connection_where_nothing_moves_is_closed_after_idle_timeout_and_keep_alive_still_works() {
    let project = serving_with("header_timeout = \"60s\"\nidle_timeout = \"1s\"");
    let daemon = project.start_daemon();
    let addr = daemon.addr.clone();

    // Two requests on one kept-alive connection are both answered.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let req = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let mut buf = [0u8; 4096];
    for _ in 0..2 {
        s.write_all(req.as_bytes()).unwrap();
        let n = s.read(&mut buf).unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    }
    // Then nothing: the server closes it long before the 60 s header timeout.
    let mut rest = Vec::new();
    let ended = s.read_to_end(&mut rest);
    assert!(
        matches!(ended, Ok(0))
            || ended
                .as_ref()
                .is_err_and(|e| e.kind() == ErrorKind::ConnectionReset),
        "{ended:?}"
    );
    assert_eq!(metric(&addr, "feedwright_http_idle_timeouts_total"), 1.0);
    assert_eq!(metric(&addr, "feedwright_http_header_timeouts_total"), 0.0);
}

#[test]
fn http_limits_out_of_range_are_config_errors_naming_the_key() {
    let project =
        serving_with("max_connections = 100000\nheader_timeout = \"0s\"\nidle_timeout = \"soon\"");
    let out = project.run(&["check"]);
    let (_, stderr) = crate::support::text(&out);
    assert!(!out.status.success());
    for needle in [
        "http.max_connections",
        "100000 connections is more than the 4096 allowed",
        "LimitNOFILE",
        "http.header_timeout",
        "shorter than a second",
        "http.idle_timeout",
    ] {
        assert!(stderr.contains(needle), "{needle} missing from\n{stderr}");
    }
    let zero = serving_with("max_connections = 0");
    let (_, stderr) = crate::support::text(&zero.run(&["check"]));
    assert!(stderr.contains("http.max_connections"), "{stderr}");
}

#[test]
fn the_unit_leaves_descriptors_for_the_largest_connection_cap() {
    let unit = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/feedwright.service"),
    )
    .unwrap();
    let limit: usize = unit
        .lines()
        .find_map(|l| l.strip_prefix("LimitNOFILE="))
        .expect("the unit sets no LimitNOFILE (systemd's default is 1,024)")
        .parse()
        .unwrap();
    // The largest cap, 256 answers of 503 under way, and the store's and the fetcher's files.
    let most = feedwright::config::HttpLimits::MAX_CONNECTIONS;
    assert!(
        limit >= 2 * most,
        "LimitNOFILE={limit} for up to {most} connections"
    );
}

#[test]
fn a_handler_at_work_longer_than_idle_timeout_still_answers() {
    use crate::support::server::Site;
    let site = Site::start();
    site.put_bytes(
        "/rss",
        "application/rss+xml",
        b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><link>http://x.test/</link><description>d</description><item><title>One</title><link>http://x.test/1</link></item></channel></rss>".to_vec(),
    );
    let project = serving_with("admin = true\nidle_timeout = \"1s\"");
    project.write(
        "feeds/slow.toml",
        &format!(
            "schedule = \"0 0 1 1 *\"\njitter = \"0s\"\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/rss")
        ),
    );
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("Next run scheduled");
    // The run the button waits for takes longer than idle_timeout, with nothing on the wire.
    site.set_delay_all(Duration::from_millis(2500));
    let page = crate::support::http::request(
        &daemon.addr,
        "POST",
        "/admin/run-now/slow",
        &[("Sec-Fetch-Site", "same-origin"), ("Content-Length", "0")],
    );
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("slow:"), "{}", page.text());
    assert_eq!(
        metric(&daemon.addr, "feedwright_http_idle_timeouts_total"),
        0.0
    );
}
