//! Where Tether may connect to on a customer's say-so (a workspace's webhook endpoints and mail
//! server): public addresses only, unless the operator allows private ones
//! (`Config.allow_private_hosts`: the demo, the tests, a relay on the same host). Otherwise a
//! workspace member could make Tether probe the network it runs in, and read open ports from
//! closed ones in the delivery log.
//!
//! Checked twice for webhooks: when the endpoint is saved, and at every connection (a name's
//! addresses can change after the check): the delivery client resolves names through
//! [`PublicOnly`], and an address written as an IP is checked before sending.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use url::{Host, Url};

/// The longest host name DNS allows.
const MAX_HOST_LEN: usize = 253;

/// A plain absolute http(s) URL, as the API documents it (`api/contract.rs`) and as every
/// address a customer gives is checked: a host name of at most four labels (within DNS's 253
/// characters; the last has a letter, so it is never read as a number) or a dotted IPv4
/// address, an optional port, then path, query and fragment in RFC 3986's characters. What
/// matches parses the same everywhere; what does not is refused with a clear error.
pub const HTTP_URL: &str = "^https?://(?:(?:[A-Za-z0-9-]{1,60}\\.){0,3}[A-Za-z][A-Za-z0-9-]{0,59}\
                            |(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\
                            (?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})\
                            (?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}))?\
                            (?:/(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*)?\
                            (?:\\?(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?\
                            (?:#(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?$";

/// Whether `raw` is a plain http(s) URL ([`HTTP_URL`]).
pub fn plain(raw: &str) -> bool {
    static RE: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(HTTP_URL).expect("HTTP_URL is a regex"));
    raw.len() <= 2048 && RE.is_match(raw)
}

/// Loopback, private, link-local, shared (CGNAT), broadcast or unspecified.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                // 100.64.0.0/10, carrier-grade NAT
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                v6.is_loopback()
                    || v6.is_unspecified()
                    // fc00::/7 unique local, fe80::/10 link-local
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
            }
        },
    }
}

/// Why an address is refused, in words for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the address must be an absolute http(s) URL with a host")]
    NotHttp,
    #[error(
        "the address must not carry a user name or password (put secrets in headers you verify, not in the URL)"
    )]
    Credentials,
    #[error("the host name is longer than DNS allows ({MAX_HOST_LEN} characters)")]
    HostTooLong,
    #[error(
        "the address must be a plain http(s) URL: a host name or IPv4 address, an optional port, then only the characters RFC 3986 allows (percent-encode the others)"
    )]
    NotPlain,
    #[error("{host} cannot be resolved: {reason}")]
    Unresolvable { host: String, reason: String },
    #[error(
        "{host} is a private, loopback or link-local address ({ip}); Tether only connects to public addresses"
    )]
    Private { host: String, ip: IpAddr },
}

/// An IP written in the URL itself (`127.0.0.1`, `[::1]`, `0x7f000001` once parsed).
fn literal(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        Host::Domain(_) => None,
    }
}

/// The shape of an address Tether may call: http(s), a host, no credentials, a sane length.
pub fn well_formed(raw: &str) -> Result<Url, Refused> {
    let url = Url::parse(raw).map_err(|_| Refused::NotHttp)?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Refused::NotHttp);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refused::Credentials);
    }
    if url.host_str().is_some_and(|h| h.len() > MAX_HOST_LEN) {
        return Err(Refused::HostTooLong);
    }
    Ok(url)
}

/// Refuses an address written as a private IP, unless `allowed`; a name passes (the resolver
/// checks it when connecting).
pub fn public_ip(url: &Url, allowed: bool) -> Result<(), Refused> {
    match literal(url) {
        Some(ip) if !allowed && is_private(ip) => Err(Refused::Private {
            host: url.host_str().unwrap_or_default().to_owned(),
            ip,
        }),
        _ => Ok(()),
    }
}

/// Refuses an address that is, or resolves to, a private one, unless `allowed`.
pub async fn public(url: &Url, allowed: bool) -> Result<(), Refused> {
    if allowed {
        return Ok(());
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    if let Some(ip) = literal(url) {
        return if is_private(ip) {
            Err(Refused::Private { host, ip })
        } else {
            Ok(())
        };
    }
    let port = url.port_or_known_default().unwrap_or(443);
    lookup_public(&host, port, false).await.map(drop)
}

/// A name's addresses, refused if any is private (unless `allowed`): the one lookup behind the
/// check on save, the mail server's check and the delivery client's resolver.
pub async fn lookup_public(
    host: &str,
    port: u16,
    allowed: bool,
) -> Result<Vec<SocketAddr>, Refused> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| Refused::Unresolvable {
            host: host.to_owned(),
            reason: e.to_string(),
        })?
        .collect();
    match addrs.iter().find(|a| !allowed && is_private(a.ip())) {
        Some(a) => Err(Refused::Private {
            host: host.to_owned(),
            ip: a.ip(),
        }),
        None => Ok(addrs),
    }
}

/// A resolver for outbound clients that hands out public addresses only (unless allowed): the
/// check happens at the moment of connecting, so a name that resolved to a public address when
/// it was saved and to a private one now is refused now.
#[derive(Debug, Clone, Copy)]
pub struct PublicOnly {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = lookup_public(&host, 0, allow).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The resolver as the client builder takes it.
pub fn resolver(allow_private: bool) -> Arc<PublicOnly> {
    Arc::new(PublicOnly { allow_private })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the API documents as a URL is what the handlers take: whatever matches also parses.
    #[test]
    fn plain_urls_are_what_the_document_says() {
        for ok in [
            "https://hooks.example.com/tether",
            "http://127.0.0.1:9000/hook?x=1#top",
            "https://a-b.c-d.example.co/p/a%20th;x=1@y",
            "http://localhost:8080",
        ] {
            assert!(plain(ok), "{ok}");
            assert!(well_formed(ok).is_ok(), "{ok}");
        }
        for no in [
            "ftp://example.com/",
            "https://wfwzaxfo.test*/",
            "https://example.com/caf\u{e9}",
            "https://iynqusj/#[%65",
            "http://[::1]:9/hook",
            "http://999.1/",
            "https://user:pass@example.com/",
            "https://example.com:99999/",
            "https://example.com/a b",
            "",
        ] {
            assert!(!plain(no), "{no}");
        }
    }

    #[test]
    fn every_private_range_is_private() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "100.128.0.1"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn addresses_are_refused_by_their_shape() {
        assert_eq!(
            well_formed("ftp://example.com/").unwrap_err(),
            Refused::NotHttp
        );
        assert_eq!(well_formed("not a url").unwrap_err(), Refused::NotHttp);
        assert_eq!(
            well_formed("https://user:pass@example.com/").unwrap_err(),
            Refused::Credentials
        );
        let long = format!("https://{}.example.com/", "a".repeat(250));
        assert_eq!(well_formed(&long).unwrap_err(), Refused::HostTooLong);
        assert!(well_formed("https://hooks.example.com/in").is_ok());
    }

    #[tokio::test]
    async fn private_addresses_in_any_spelling_are_refused_unless_allowed() {
        for raw in [
            "http://127.0.0.1:9/",
            "http://[::1]/",
            "http://0x7f000001/",
            "http://2130706433/",
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://localhost:8080/",
        ] {
            let url = well_formed(raw).unwrap();
            let err = public(&url, false).await.unwrap_err();
            assert!(matches!(err, Refused::Private { .. }), "{raw}: {err}");
            assert!(public(&url, true).await.is_ok(), "{raw}");
        }
    }
}
