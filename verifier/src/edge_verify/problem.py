"""One Problem type for every check, rendered one way.

A Problem says on which host it was seen, its code (shared with the Ruby side wherever the fact is
the same), what was found, what the site expects, where to fix it (a site key when the site is
wrong, the host or the cookbook when the host is) and the source of the fact (the command or probe).
"""
from __future__ import annotations

import dataclasses

# Codes that mean the same fact on the Ruby side (Ipv6Common::ConfigError codes).
SHARED_CODES = frozenset((
    "ipv4",                 # an IPv4 address, socket or answer: 0.0.0.0, 127.0.0.0/8 where forbidden, an A record
    "dual_stack",           # a wildcard socket without IPV6_V6ONLY (`*:P`): it takes IPv4 too
    "ipv4_mapped",          # an IPv4-mapped address (::ffff:a.b.c.d) on a socket or from a resolver
    "self_signed",          # a certificate that signs itself
    "untrusted",            # a chain that leads to no certificate of the site's CA bundle
    "chain_incomplete",     # the leaf's issuer (the intermediate) is not presented
    "expired",              # a certificate past its notAfter
    "expiring",             # a certificate that expires inside pki.expiry_window_days
    "not_yet_valid",        # a certificate before its notBefore
    "san_mismatch",         # a leaf whose subjectAltName does not name the endpoint's fqdn
    "key_mismatch",         # a private key that does not belong to its certificate
    "key_mode",             # a private key file that group or others can read
    "weak_key",             # a key shorter than pki.policy allows
    "weak_signature",       # a certificate signed with a hash pki.policy does not allow
    "validity_too_long",    # a leaf valid for longer than pki.policy allows
    "no_server_auth",       # a leaf without the serverAuth extended key usage
    "unreadable",           # a certificate, key, secret or site file that cannot be read or parsed
    "dns_a_record",         # an A record for a site name
    "dns_aaaa_missing",     # a site name without its AAAA record
    "dns_unreachable",      # the site's DNS server gives no answer, or an error, for a site name
    "address_not_configured",  # an address the site gives the host that no interface of the host has
))
# Facts only the verifier observes.
VERIFIER_CODES = frozenset((
    "not_v6only",           # a socket on a specific IPv6 address without IPV6_V6ONLY
    "not_site_address",     # a listener on an address the site does not give the host (or on ::)
    "listener_missing",     # nothing listens where the site says an endpoint is
    "unexpected_listener",  # the edge listens where no endpoint of the host is
    "dns_aaaa_mismatch",    # AAAA records other than the site's addresses
    "resolver_mismatch",    # the resolver gives addresses other than the site's
    "tls_version_accepted",  # a deprecated TLS version is accepted
    "tls_version_refused",  # a TLS version the site expects is refused
    "tls_handshake",        # the handshake fails for another reason
    "http_error",           # the API behind the edge answers an error or no document
    "http_link",            # the API links clients away from https://fqdn:port/
    "hsts",                 # Strict-Transport-Security missing or not what the site says
    "socket_mode",          # a control socket others can open
    "probe_failed",         # a fact could not be gathered (e.g. ss without root names no process)
    "not_a_site_host",      # the host under test is not in the site
    "api_not_loopback",     # an OpenStack service or memcached listens beside ::1
    "api_not_listening",    # a deployed endpoint's service has nothing on [::1]:backend_port
    "url_unparsable",       # a rendered URL that urllib.parse cannot read (an unbracketed literal)
    "url_http",             # a rendered Keystone URL that is not https
    "url_ip_literal",       # a rendered Keystone URL on an address instead of the name
    "url_unknown_host",     # a rendered URL to a host the site does not describe (localhost included)
    "memcached_form",       # memcached servers not in the form the cache backend parses
    "catalog_unparsable",   # a catalog URL that does not parse
    "catalog_http",         # a catalog URL that is not https
    "catalog_ip_literal",   # a catalog URL on an address
    "catalog_unknown_name",  # a catalog URL on a name that is no site endpoint
    "catalog_wrong_port",   # a catalog URL on another port than the endpoint's
    "catalog_missing",      # a site endpoint missing from the catalog on an interface
    "memcached_no_hits",    # memcached get_hits does not grow while tokens are validated
    "broker_unreachable",   # rabbitmq-diagnostics cannot reach the node
    "guest_user",           # the broker still has the guest user
    "amqp_round_trip",      # a real AMQP client could not publish and consume a message
    "amqp_cleartext",       # a client config without AMQPS (port, ssl, ssl_ca_file) where the site turns it on
    "cinder_target_option",  # cinder.conf lacks the release's target address option, or it is not a site address
    "cinder_unbracketed",   # the target address is an unbracketed IPv6 literal where the helper needs brackets
    "cinder_foreign_option",  # cinder.conf holds a target option of another release (silently ignored)
    "cinder_my_ip",         # my_ip unset, bracketed or not a site address of the host
    "iscsi_discovery",      # SendTargets discovery of the site portal finds no target
    "dns_ptr_mismatch",     # a site address whose PTR is missing or names another name, or a PTR to a name
                            # whose AAAA does not hold the address
    "dns_unknown_name",     # a name in the site's zone that is no site host or endpoint (a warning)
    # edge-verify import-ansible and --ansible-inventory: what an Ansible inventory cannot give the site
    "inventory_name_only",  # ansible_host (or the hostname) is a DNS name: not resolved, the host needs an address
    "inventory_bad_address",  # ipv6_address or ansible_host is no global IPv6 literal, or another host's
    "inventory_no_role",    # a host in no group that maps to a role
    "inventory_bad_name",   # an inventory hostname that is no site host name (Chef node name)
    "inventory_unknown_group",  # a group that maps to no role: reported, not imported
    "inventory_host_missing",  # a site host that --ansible-inventory does not list
))
CODES = SHARED_CODES | VERIFIER_CODES
# Codes that ask an operator to look, without failing a command on their own: every other code is an error.
WARNING_CODES = frozenset((
    "dns_unknown_name",
    "inventory_unknown_group",
))


@dataclasses.dataclass(frozen=True)
class Problem:
    host: str       # where it was seen: a site host name (or the client's name for client-side facts)
    code: str       # one of CODES
    found: str      # what was found, e.g. "python3 on 0.0.0.0:7997 (IPv4)"
    expects: str    # what the site expects, e.g. "listeners only on 2001:db8:10::11, ::1, v6only"
    fix: str        # where to fix it: "hosts.ctl1.addresses in site/lab.yml", "the host: ...", "converge ..."
    source: str     # the fact's source: the command or probe, e.g. "ss -Hltnuep on ctl1"

    def __post_init__(self):
        if self.code not in CODES:
            raise ValueError(f"unknown problem code {self.code!r}")

    def __str__(self):
        return f"{self.host}: {self.found}; site expects {self.expects}; fix {self.fix} [{self.code}; {self.source}]"

    @property
    def level(self):
        """"warning" for WARNING_CODES, else "error"."""
        return "warning" if self.code in WARNING_CODES else "error"

    def to_dict(self):
        return dataclasses.asdict(self)


def render(problems):
    """Every problem, one per line (the text of a failed check)."""
    return "\n".join(str(p) for p in problems)
