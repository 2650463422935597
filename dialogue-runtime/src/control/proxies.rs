//! Where a connection comes from: its peer's address, or, behind proxies
//! the application trusts, the client's address as they forward it.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// The client's address: the TCP peer, unless the peer is one of the
/// `trusted` proxies; then the `X-Forwarded-For` chain is read from the
/// right (the hop nearest to this server) and the first address that is not
/// a trusted proxy is the client's. A chain that does not parse is not
/// believed (the peer is the answer). `None` when the server was not told
/// its peers (served without connect info).
pub(crate) fn client_ip(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let mut chain = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(text) = value.to_str() else {
            return Some(peer);
        };
        for hop in text.split(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => chain.push(ip),
                Err(_) => return Some(peer),
            }
        }
    }
    let client = chain.iter().rev().find(|ip| !trusted.contains(ip));
    // Every hop trusted: the farthest one is as close to the client as known.
    Some(client.or(chain.first()).copied().unwrap_or(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(chain: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in chain {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let spoofed = headers(&["1.2.3.4"]);
        assert_eq!(
            client_ip(Some(ip("9.9.9.9")), &spoofed, &[]),
            Some(ip("9.9.9.9"))
        );
        assert_eq!(client_ip(None, &spoofed, &[ip("9.9.9.9")]), None);
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let proxy = ip("10.0.0.1");
        let inner = ip("10.0.0.2");
        // The client claims 6.6.6.6; the real client is 5.5.5.5.
        let chain = headers(&["6.6.6.6, 5.5.5.5", "10.0.0.2"]);
        assert_eq!(
            client_ip(Some(proxy), &chain, &[proxy, inner]),
            Some(ip("5.5.5.5"))
        );
        // IPv6 too.
        let chain = headers(&["2001:db8::7"]);
        assert_eq!(
            client_ip(Some(proxy), &chain, &[proxy]),
            Some(ip("2001:db8::7"))
        );
    }

    #[test]
    fn a_chain_that_does_not_parse_is_not_believed() {
        let proxy = ip("10.0.0.1");
        let chain = headers(&["5.5.5.5, not-an-address"]);
        assert_eq!(client_ip(Some(proxy), &chain, &[proxy]), Some(proxy));
        // No header: the proxy is all that is known.
        assert_eq!(
            client_ip(Some(proxy), &HeaderMap::new(), &[proxy]),
            Some(proxy)
        );
    }
}
