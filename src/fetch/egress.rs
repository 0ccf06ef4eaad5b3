//! The egress policy: where a request feedwright makes on its own initiative (a redirect that
//! leaves the operator's host, a discovered feed, an article page elsewhere, robots.txt there) may
//! connect. Loopback, private (RFC 1918), link-local, CGNAT, unique-local, multicast and the
//! reserved, documentation and broadcast ranges are refused, and IPv6 forms that embed an IPv4
//! address (mapped, compatible, NAT64, 6to4) are judged by the address they embed; Teredo is
//! refused outright. `[fetch] allow_private` lists ranges let through anyway.
//!
//! Names are checked on the addresses actually connected to: the guarded clients resolve through
//! `Guarded` (a reqwest resolver) which refuses a name when any of its addresses is refused, so DNS
//! rebinding between a check and the connection cannot slip past. Literal IP hosts never reach a
//! resolver; `Policy::check_host` judges them before the request is sent.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use url::Url;

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Loopback,
    Private,
    LinkLocal,
    /// 169.254.169.254, where clouds serve instance credentials.
    CloudMetadata,
    Cgnat,
    UniqueLocal,
    Multicast,
    Unspecified,
    Broadcast,
    Documentation,
    Reserved,
    Teredo,
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Rule::Loopback => "loopback",
            Rule::Private => "private (RFC 1918)",
            Rule::LinkLocal => "link-local",
            Rule::CloudMetadata => "link-local (cloud metadata)",
            Rule::Cgnat => "carrier-grade NAT (100.64.0.0/10)",
            Rule::UniqueLocal => "unique-local (fc00::/7)",
            Rule::Multicast => "multicast",
            Rule::Unspecified => "unspecified (\"this host\")",
            Rule::Broadcast => "broadcast",
            Rule::Documentation => "reserved for documentation",
            Rule::Reserved => "reserved",
            Rule::Teredo => "a Teredo tunnel address (it hides an IPv4 address)",
        })
    }
}

/// A refused address: the rule and the address, and the IPv4 address an IPv6 one embeds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct Refused {
    pub addr: IpAddr,
    pub embedded: Option<Ipv4Addr>,
    pub rule: Rule,
}

impl Refused {
    fn describe(&self) -> String {
        let judged = self.embedded.map_or(self.addr, IpAddr::V4);
        let what = match self.embedded {
            Some(v4) => format!("{} embeds {v4}, which is {}", self.addr, self.rule),
            None => format!("{} is {}", self.addr, self.rule),
        };
        let net = match judged {
            IpAddr::V4(_) => format!("{judged}/32"),
            IpAddr::V6(_) => format!("{judged}/128"),
        };
        format!("refused: {what}; allow it with [fetch] allow_private = [\"{net}\"]")
    }
}

/// The rule refusing `ip`, if one does, without looking inside IPv6 forms that embed IPv4.
fn rule_v4(v4: Ipv4Addr) -> Option<Rule> {
    let [a, b, c, _] = v4.octets();
    Some(match (a, b, c) {
        _ if v4 == Ipv4Addr::new(169, 254, 169, 254) => Rule::CloudMetadata,
        _ if v4.is_broadcast() => Rule::Broadcast,
        (0, ..) => Rule::Unspecified,
        (127, ..) => Rule::Loopback,
        (10, ..) | (192, 168, _) => Rule::Private,
        (172, 16..=31, _) => Rule::Private,
        (169, 254, _) => Rule::LinkLocal,
        (100, 64..=127, _) => Rule::Cgnat,
        (224..=239, ..) => Rule::Multicast,
        (240..=255, ..) => Rule::Reserved,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Rule::Documentation,
        (192, 0, 0) | (198, 18..=19, _) | (192, 88, 99) => Rule::Reserved,
        _ => return None,
    })
}

/// The IPv4 address an IPv6 address embeds: mapped (`::ffff:0:0/96`), compatible (`::/96`),
/// NAT64 (`64:ff9b::/96`) or 6to4 (`2002::/16`).
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let last = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, ..] => Some(last),
        [0, 0, 0, 0, 0, 0, ..] if !v6.is_loopback() && !v6.is_unspecified() => Some(last),
        [0x64, 0xff9b, 0, 0, 0, 0, ..] => Some(last),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

fn rule_v6(v6: Ipv6Addr) -> Option<Rule> {
    let s = v6.segments();
    Some(match s[0] {
        _ if v6.is_loopback() => Rule::Loopback,
        _ if v6.is_unspecified() => Rule::Unspecified,
        0xfc00..=0xfdff => Rule::UniqueLocal,
        0xfe80..=0xfebf => Rule::LinkLocal,
        0xfec0..=0xfeff => Rule::Reserved,
        0xff00..=0xffff => Rule::Multicast,
        0x2001 if s[1] == 0 => Rule::Teredo,
        0x2001 if s[1] == 0xdb8 => Rule::Documentation,
        // Discard-only (100::/64) and NAT64 for local use (64:ff9b:1::/48).
        0x100 if s[1..4] == [0, 0, 0] => Rule::Reserved,
        0x64 if s[1] == 0xff9b && s[2] == 1 => Rule::Reserved,
        _ => return None,
    })
}

/// What may be connected to: every public address, and the ranges of `allow_private`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    pub allow: Vec<IpNet>,
}

impl Policy {
    /// Whether `ip` may be connected to; the refusal names the rule and the address.
    pub fn check(&self, ip: IpAddr) -> Result<(), Refused> {
        let (embedded, rule) = match ip {
            IpAddr::V4(v4) => (None, rule_v4(v4)),
            IpAddr::V6(v6) => match embedded_v4(v6) {
                Some(v4) => (Some(v4), rule_v4(v4)),
                None => (None, rule_v6(v6)),
            },
        };
        let Some(rule) = rule else {
            return Ok(());
        };
        let allowed = |a: IpAddr| self.allow.iter().any(|net| net.contains(&a));
        if allowed(ip) || embedded.is_some_and(|v4| allowed(IpAddr::V4(v4))) {
            return Ok(());
        }
        Err(Refused {
            addr: ip,
            embedded,
            rule,
        })
    }

    /// Checks a URL whose host is a literal address (no resolver is asked for those); a name is
    /// left to the guarded resolver.
    pub fn check_host(&self, url: &Url) -> Result<(), Refused> {
        match url.host() {
            Some(url::Host::Ipv4(v4)) => self.check(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => self.check(IpAddr::V6(v6)),
            _ => Ok(()),
        }
    }
}

/// Where names are looked up: the system's resolver, with a fixed table consulted first (tests map
/// names to 127.0.0.1 with it; see `Names::from_env`).
#[derive(Debug, Clone, Default)]
pub struct Names {
    fixed: Arc<HashMap<String, Vec<IpAddr>>>,
}

/// The environment variable of the test table: `name=addr,name=addr`. It only decides what a name
/// resolves to; the policy still judges the result.
pub const TEST_HOSTS_VAR: &str = "FEEDWRIGHT_TEST_HOSTS";

/// An entry of the test table that is not `name=address`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{TEST_HOSTS_VAR}: `{entry}` is not name=address\n  hint: write e.g. local.test=127.0.0.1")]
pub struct BadTestHosts {
    pub entry: String,
}

impl Names {
    /// The table of `FEEDWRIGHT_TEST_HOSTS`, for the tests that run the binary.
    pub fn from_env() -> Result<Names, BadTestHosts> {
        match std::env::var(TEST_HOSTS_VAR) {
            Ok(v) => Names::parse(&v),
            Err(_) => Ok(Names::default()),
        }
    }

    /// `name=addr,name=addr`; the error names the entry that is not one.
    pub fn parse(table: &str) -> Result<Names, BadTestHosts> {
        let mut fixed: HashMap<String, Vec<IpAddr>> = HashMap::new();
        for entry in table.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let parsed = entry
                .split_once('=')
                .and_then(|(n, a)| Some((n.trim(), a.trim().parse::<IpAddr>().ok()?)));
            let Some((name, addr)) = parsed else {
                return Err(BadTestHosts {
                    entry: entry.to_string(),
                });
            };
            fixed
                .entry(name.to_ascii_lowercase())
                .or_default()
                .push(addr);
        }
        Ok(Names {
            fixed: Arc::new(fixed),
        })
    }

    /// Whether no name is fixed (the system's resolver alone answers).
    pub fn is_empty(&self) -> bool {
        self.fixed.is_empty()
    }

    async fn lookup(&self, name: &str) -> std::io::Result<Vec<SocketAddr>> {
        if let Some(addrs) = self.fixed.get(&name.to_ascii_lowercase()) {
            return Ok(addrs.iter().map(|ip| SocketAddr::new(*ip, 0)).collect());
        }
        Ok(tokio::net::lookup_host((name, 0)).await?.collect())
    }
}

/// Whether requests may go through a proxy named in the environment (`HTTP_PROXY`, `HTTPS_PROXY`,
/// `ALL_PROXY`, as reqwest reads them): the proxy then resolves and connects, and our resolver
/// never sees the target's name, so `Policy::check_name` looks it up first.
pub fn proxy_in_env() -> bool {
    ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"]
        .iter()
        .flat_map(|v| [v.to_string(), v.to_ascii_lowercase()])
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

impl Policy {
    /// Looks a URL's host name up and checks every address, for a request a proxy will connect
    /// (a check before the request, not on the connection: the proxy's own resolver decides). A
    /// name that does not resolve here is left to the proxy.
    pub(super) async fn check_name(&self, names: &Names, url: &Url) -> Result<(), Refused> {
        let Some(url::Host::Domain(name)) = url.host() else {
            return Ok(());
        };
        for a in names.lookup(name).await.unwrap_or_default() {
            self.check(a.ip())?;
        }
        Ok(())
    }
}

/// The resolver of the guarded clients: a name is refused when any address it resolves to is.
/// Without a policy it only resolves (the open clients, when a test table is given).
pub(super) struct Guarded {
    pub(super) policy: Option<Arc<Policy>>,
    pub(super) names: Names,
}

impl reqwest::dns::Resolve for Guarded {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (policy, names) = (self.policy.clone(), self.names.clone());
        let name = name.as_str().to_string();
        Box::pin(async move {
            let addrs = names.lookup(&name).await?;
            if let Some(policy) = &policy {
                for a in &addrs {
                    policy.check(a.ip())?;
                }
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The `Refused` among an error's causes, if a refusal is why it failed.
pub(super) fn refusal(e: &(dyn std::error::Error + 'static)) -> Option<Refused> {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(r) = c.downcast_ref::<Refused>() {
            return Some(r.clone());
        }
        cause = c.source();
    }
    None
}

/// Whether a hop stays on the host the operator wrote: the same host and port, the default ports
/// of http and https counting as one (a configured http URL moving to https stays home).
pub(super) fn same_origin(a: &Url, b: &Url) -> bool {
    a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && (a.port_or_known_default() == b.port_or_known_default()
            || (a.port().is_none() && b.port().is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(ip: &str) -> Option<Refused> {
        Policy::default().check(ip.parse().unwrap()).err()
    }

    #[test]
    fn every_private_and_local_form_is_refused_by_its_rule() {
        for (ip, rule) in [
            ("127.0.0.1", Rule::Loopback),
            ("10.1.2.3", Rule::Private),
            ("172.16.0.1", Rule::Private),
            ("192.168.1.1", Rule::Private),
            ("169.254.169.254", Rule::CloudMetadata),
            ("169.254.1.1", Rule::LinkLocal),
            ("100.64.0.1", Rule::Cgnat),
            ("224.0.0.1", Rule::Multicast),
            ("0.0.0.0", Rule::Unspecified),
            ("255.255.255.255", Rule::Broadcast),
            ("240.0.0.1", Rule::Reserved),
            ("192.0.2.1", Rule::Documentation),
            ("::1", Rule::Loopback),
            ("::", Rule::Unspecified),
            ("fe80::1", Rule::LinkLocal),
            ("fd00::1", Rule::UniqueLocal),
            ("ff02::1", Rule::Multicast),
            ("2001:db8::1", Rule::Documentation),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", Rule::Teredo),
        ] {
            let r = refused(ip).unwrap_or_else(|| panic!("{ip} was let through"));
            assert_eq!((r.rule, r.embedded), (rule, None), "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_embedding_ipv4_are_judged_by_the_embedded_address() {
        for (ip, embedded) in [
            ("::ffff:127.0.0.1", "127.0.0.1"),
            ("::127.0.0.1", "127.0.0.1"),
            ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
            ("2002:a9fe:a9fe::", "169.254.169.254"),
            ("2002:0a00:0001::1", "10.0.0.1"),
        ] {
            let r = refused(ip).unwrap_or_else(|| panic!("{ip} was let through"));
            assert_eq!(r.embedded, Some(embedded.parse().unwrap()), "{ip}");
        }
        // Embedding a public address is as good as the public address.
        for ip in ["::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"] {
            assert!(refused(ip).is_none(), "{ip}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111"] {
            assert!(refused(ip).is_none(), "{ip}");
        }
    }

    #[test]
    fn a_refusal_names_the_address_the_rule_and_the_setting() {
        let r = refused("169.254.169.254").unwrap().to_string();
        assert_eq!(
            r,
            "refused: 169.254.169.254 is link-local (cloud metadata); allow it with [fetch] allow_private = [\"169.254.169.254/32\"]"
        );
        let r = refused("64:ff9b::a9fe:a9fe").unwrap().to_string();
        assert!(
            r.contains("64:ff9b::a9fe:a9fe embeds 169.254.169.254"),
            "{r}"
        );
    }

    #[test]
    fn allow_private_lets_a_listed_range_through_and_only_it() {
        let p = Policy {
            allow: vec!["10.0.0.0/8".parse().unwrap()],
        };
        assert!(p.check("10.9.8.7".parse().unwrap()).is_ok());
        assert!(p.check("::ffff:10.9.8.7".parse().unwrap()).is_ok());
        assert!(p.check("192.168.0.1".parse().unwrap()).is_err());
    }

    #[test]
    fn a_hop_stays_home_on_the_same_host_and_port_or_moving_to_https() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(same_origin(
            &u("http://Intra.lan/a"),
            &u("https://intra.lan/b")
        ));
        assert!(same_origin(
            &u("http://127.0.0.1:80/"),
            &u("http://127.0.0.1/x")
        ));
        assert!(!same_origin(
            &u("http://127.0.0.1:8000/"),
            &u("http://127.0.0.1:9000/")
        ));
        assert!(!same_origin(
            &u("http://intra.lan/"),
            &u("http://intra.lan:8080/")
        ));
        assert!(!same_origin(
            &u("http://intra.lan/"),
            &u("http://www.intra.lan/")
        ));
    }

    #[test]
    fn a_bad_test_hosts_entry_is_named() {
        let e = Names::parse("ok.test=127.0.0.1,broken").unwrap_err();
        assert!(e.to_string().contains("`broken`"), "{e}");
        assert!(Names::parse("a.test=::1, b.test = 10.0.0.1").is_ok());
    }
}
