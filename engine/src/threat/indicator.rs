//! Indicators of compromise as we compare them: IP addresses, networks, URLs and hostnames,
//! normalised so that a feed's spelling and an image's spelling meet.

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One indicator, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Indicator {
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A network in CIDR notation (the address has its host bits cleared).
    Net(IpAddr, u8),
    /// A URL: scheme and host lower-cased, default port and fragment dropped.
    Url(String),
    /// A hostname, lower-cased, without a trailing dot.
    Host(String),
}

impl Indicator {
    /// Parse what a feed lists: an address, a CIDR network, a URL or a hostname.
    pub fn parse(text: &str) -> Option<Indicator> {
        let t = text.trim();
        if t.is_empty() || t.contains(char::is_whitespace) {
            return None;
        }
        if let Ok(ip) = t.parse::<IpAddr>() {
            return Some(Indicator::Ip(ip));
        }
        if let Some((addr, len)) = t.split_once('/')
            && let (Ok(ip), Ok(len)) = (addr.parse::<IpAddr>(), len.parse::<u8>())
        {
            return network(ip, len);
        }
        if t.contains("://") {
            return url(t).map(Indicator::Url);
        }
        host(t).map(Indicator::Host)
    }

    /// The key this indicator is stored and looked up under.
    pub fn key(&self) -> String {
        match self {
            Indicator::Ip(ip) => format!("ip:{ip}"),
            Indicator::Net(ip, len) => format!("net:{ip}/{len}"),
            Indicator::Url(u) => format!("url:{u}"),
            Indicator::Host(h) => format!("host:{h}"),
        }
    }

    /// Keys under which a feed entry would list this indicator: an address is also looked up
    /// as every network containing it, a URL also by its host.
    pub fn lookup_keys(&self) -> Vec<String> {
        let mut keys = vec![self.key()];
        match self {
            Indicator::Ip(ip) => {
                let (min, max) = match ip {
                    IpAddr::V4(_) => (8, 32),
                    IpAddr::V6(_) => (16, 128),
                };
                for len in (min..=max).rev() {
                    if let Some(n) = network(*ip, len) {
                        keys.push(n.key());
                    }
                }
            }
            Indicator::Url(u) => {
                if let Some(h) = url_host(u) {
                    match h.parse::<IpAddr>() {
                        Ok(ip) => keys.extend(Indicator::Ip(ip).lookup_keys()),
                        Err(_) => keys.push(Indicator::Host(h.to_string()).key()),
                    }
                }
            }
            _ => {}
        }
        keys
    }

    /// Whether this is worth reporting: private, loopback, link-local, documentation and other
    /// reserved addresses never are.
    pub fn is_public(&self) -> bool {
        match self {
            Indicator::Ip(ip) | Indicator::Net(ip, _) => is_public_ip(ip),
            Indicator::Url(u) => url_host(u).is_some_and(|h| match h.parse::<IpAddr>() {
                Ok(ip) => is_public_ip(&ip),
                Err(_) => is_public_host(h),
            }),
            Indicator::Host(h) => is_public_host(h),
        }
    }
}

fn network(ip: IpAddr, len: u8) -> Option<Indicator> {
    let net = match ip {
        IpAddr::V4(a) if len <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
        }
        IpAddr::V6(a) if len <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
        }
        _ => return None,
    };
    let full = if net.is_ipv4() { 32 } else { 128 };
    Some(if len == full {
        Indicator::Ip(net)
    } else {
        Indicator::Net(net, len)
    })
}

/// A URL normalised for comparison, or `None` when it has no host.
pub fn url(text: &str) -> Option<String> {
    let (scheme, rest) = text.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https" | "ftp" | "tcp" | "udp") {
        return None;
    }
    let rest = rest.split('#').next().unwrap_or(rest);
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    // Credentials in a URL are not part of what it points at.
    let authority = authority
        .rsplit('@')
        .next()
        .unwrap_or(authority)
        .to_ascii_lowercase();
    let authority = match (scheme.as_str(), authority.rsplit_once(':')) {
        ("http", Some((h, "80"))) | ("https", Some((h, "443"))) => h.to_string(),
        _ => authority,
    };
    let authority = authority.trim_end_matches('.');
    if authority.is_empty() {
        return None;
    }
    let path = if path.is_empty() { "/" } else { path };
    Some(format!("{scheme}://{authority}{path}"))
}

/// The host of a normalised URL (without port or brackets).
pub fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next();
    }
    Some(authority.rsplit_once(':').map_or(authority, |(h, _)| h))
}

fn host(text: &str) -> Option<String> {
    let h = text.trim_end_matches('.').to_ascii_lowercase();
    let ok = h.contains('.')
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        && h.rsplit('.')
            .next()
            .is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()));
    ok.then_some(h)
}

fn is_public_host(h: &str) -> bool {
    let h = h.to_ascii_lowercase();
    !(h == "localhost"
        || [
            ".localhost",
            ".local",
            ".internal",
            ".example",
            ".invalid",
            ".test",
            ".lan",
        ]
        .iter()
        .any(|s| h.ends_with(s))
        || ["example.com", "example.org", "example.net"]
            .iter()
            .any(|e| h == *e || h.ends_with(&format!(".{e}"))))
}

/// Public unicast: not private (RFC 1918, ULA), loopback, link-local, CGNAT, multicast,
/// documentation, benchmarking or otherwise reserved.
pub fn is_public_ip(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let [b0, b1, b2, _] = a.octets();
            !(a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_multicast()
                || a.is_broadcast()
                || a.is_documentation()
                || a.is_unspecified()
                || b0 == 0
                || b0 >= 240
                || (b0 == 100 && (64..128).contains(&b1))
                || (b0 == 192 && b1 == 0 && b2 == 0)
                || (b0 == 198 && (18..20).contains(&b1)))
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public_ip(&IpAddr::V4(v4));
            }
            let s = a.segments();
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x0064 && s[1] == 0xff9b))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_and_images_meet_after_normalisation() {
        assert_eq!(
            Indicator::parse("HTTP://Evil.EXAMPLE.org:80/a/b.sh#x")
                .unwrap()
                .key(),
            "url:http://evil.example.org/a/b.sh"
        );
        assert_eq!(
            Indicator::parse("10.1.2.3/8").unwrap(),
            Indicator::Net("10.0.0.0".parse().unwrap(), 8)
        );
        assert_eq!(Indicator::parse("1.2.3.4/32").unwrap().key(), "ip:1.2.3.4");
        assert_eq!(
            Indicator::parse("Bad.Host.").unwrap().key(),
            "host:bad.host"
        );
        assert_eq!(Indicator::parse("1.2.3"), None);
        assert_eq!(Indicator::parse("not a thing"), None);
        let keys = Indicator::parse("http://192.9.135.73:1194/x")
            .unwrap()
            .lookup_keys();
        assert!(keys.contains(&"ip:192.9.135.73".to_string()));
        assert!(keys.contains(&"net:192.9.0.0/16".to_string()));
    }

    #[test]
    fn private_and_reserved_ranges_are_never_public() {
        for private in [
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!Indicator::parse(private).unwrap().is_public(), "{private}");
        }
        for public in ["8.8.8.8", "192.9.135.73", "2606:4700::1111"] {
            assert!(Indicator::parse(public).unwrap().is_public(), "{public}");
        }
        assert!(
            !Indicator::parse("http://localhost:8080/")
                .unwrap()
                .is_public()
        );
        assert!(!Indicator::parse("http://10.0.0.1/x").unwrap().is_public());
        assert!(Indicator::parse("http://evil.net/x").unwrap().is_public());
    }
}
