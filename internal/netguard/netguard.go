// Package netguard keeps the server's outbound connections to public
// addresses: a dialer Control that refuses loopback, private, link-local,
// multicast, unspecified and reserved addresses. It runs on every dial,
// after name resolution, so a name that resolves (or is rebound) to an
// internal address is refused too. Plumbing for every fetch whose URL an
// untrusted party chooses (the tool gateway's upstreams, agents' jwks_uri).
package netguard

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrAddress is a dial refused because the address is not public.
var ErrAddress = errors.New("netguard: the address is private, loopback or reserved")

var reserved = []netip.Prefix{netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("192.0.0.0/24"), netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), netip.MustParsePrefix("64:ff9b:1::/48"), netip.MustParsePrefix("2002::/16")}

// Public says whether ip is a public unicast address.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// Control is a net.Dialer Control that refuses every address but public
// ones.
func Control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return ErrAddress
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !Public(ip) {
		return ErrAddress
	}
	return nil
}

// Client returns an HTTP client that reaches public addresses only: the
// address is checked at every dial, no proxy is used (it would dial for
// the client, past the check), and redirects are not followed. timeout
// bounds each request.
func Client(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{Proxy: nil, TLSHandshakeTimeout: 5 * time.Second,
			DialContext:  (&net.Dialer{Timeout: 5 * time.Second, Control: Control}).DialContext,
			MaxIdleConns: 16, IdleConnTimeout: 30 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
