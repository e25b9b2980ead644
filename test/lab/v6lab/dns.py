"""Knot on the DNS host, authoritative for the site's zone (AAAA records only) and for the reverse
zone of each /64 of the hosts' addresses (a PTR per host address); AXFR of both to the ops host."""
import ipaddress
import subprocess

from .lab import LabError, pid_alive, run, wait_until


def zone_text(site, serial, extra=(), omit=()):
    """The zone from the site: SOA, NS, AAAA per host and per endpoint (except the names in omit), then extra
    lines verbatim."""
    hosts = site['hosts']
    lines = [f"$ORIGIN {site['dns']['zone']}.", *_soa_ns(site, serial)]
    for host in hosts.values():
        if host['fqdn'] not in omit:
            lines += [f"{host['fqdn']}. AAAA {address}" for address in host['addresses']]
    for endpoint in site.get('endpoints', {}).values():
        if endpoint['fqdn'] not in omit:
            lines.append(f"{endpoint['fqdn']}. AAAA {hosts[endpoint['host']]['addresses'][0]}")
    return '\n'.join([*lines, *extra]) + '\n'


def _soa_ns(site, serial):
    zone = site['dns']['zone']
    server = site['hosts'][site['dns']['server']]['fqdn']
    return [f"$TTL {site['dns'].get('ttl', 300)}", f'@ SOA {server}. hostmaster.{zone}. {serial} 3600 600 604800 300',
            f'@ NS {server}.']


def reverse_zones(site):
    """{ip6.arpa zone: [(address, fqdn), ...]}: one zone per /64 of the hosts' addresses, in site order."""
    zones = {}
    for host in site['hosts'].values():
        for address in host['addresses']:
            network = ipaddress.IPv6Network(f'{address}/64', strict=False)
            nibbles = network.network_address.exploded.replace(':', '')[:16]
            zones.setdefault('.'.join(reversed(nibbles)) + '.ip6.arpa', []).append((address, host['fqdn']))
    return zones


def reverse_zone_text(site, zone, serial, ptr=None):
    """A reverse zone of reverse_zones(site): SOA, NS, a PTR to the host's name per address (to ptr[address]
    instead, for an address in ptr)."""
    lines = [f'$ORIGIN {zone}.', *_soa_ns(site, serial)]
    lines += [f"{ipaddress.IPv6Address(address).reverse_pointer}. PTR {(ptr or {}).get(address, fqdn)}."
              for address, fqdn in reverse_zones(site)[zone]]
    return '\n'.join(lines) + '\n'


def _config_text(lab):
    site = lab.site
    knot = lab.state_dir / 'knot'
    listen = ', '.join(f'{address}@53' for address in lab.hosts[site['dns']['server']]['addresses'])
    transfer_to = ', '.join(address for host in lab.hosts_with_role('ops') for address in lab.hosts[host]['addresses'])
    return f"""server:
    rundir: "{knot}/run"
    listen: [{listen}]

database:
    storage: "{knot}/db"

log:
  - target: stderr
    any: info

acl:
  - id: transfer_to_ops
    address: [{transfer_to}]
    action: transfer

template:
  - id: default
    storage: "{knot}/zones"
    zonefile-sync: -1

zone:
""" + ''.join(f"""  - domain: {zone}
    file: "{zone}.zone"
    acl: transfer_to_ops
""" for zone in (site['dns']['zone'], *reverse_zones(site)))


def config_file(lab):
    return lab.state_dir / 'knot' / 'knot.conf'


def _zone_file(lab):
    return lab.state_dir / 'knot' / 'zones' / f"{lab.site['dns']['zone']}.zone"


def _serial_file(lab):
    return lab.state_dir / 'knot' / 'serial'


def _write_zone(lab, extra, omit=()):
    serial_file = _serial_file(lab)
    serial = int(serial_file.read_text()) + 1 if serial_file.exists() else 1
    _zone_file(lab).write_text(zone_text(lab.site, serial, extra, omit))
    serial_file.write_text(f'{serial}\n')
    return serial


def set_reverse_ptr(lab, ptr):
    """Serve the reverse zones with the PTR of each address in ptr (address -> fqdn) pointing at that name;
    an empty dict restores the PTRs the site describes. Returns once every reverse zone is served."""
    serial_file = lab.state_dir / 'knot' / 'reverse-serial'
    serial = int(serial_file.read_text()) + 1 if serial_file.exists() else 2
    for zone in reverse_zones(lab.site):
        (lab.state_dir / 'knot' / 'zones' / f'{zone}.zone').write_text(reverse_zone_text(lab.site, zone, serial, ptr))
    serial_file.write_text(f'{serial}\n')
    for zone in reverse_zones(lab.site):
        run(['knotc', '-c', config_file(lab), 'zone-reload', zone])
        _wait_served(lab, serial, zone)


def served_serial(lab, client, zone=None):
    """The SOA serial the DNS server answers with for zone (default the site's), asked from inside client
    (None if no answer)."""
    server = lab.address(lab.site['dns']['server'])
    answer = subprocess.run(lab.argv_in(client, ['kdig', f'@{server}', zone or lab.site['dns']['zone'], 'SOA',
                                                 '+short', '+time=1', '+retry=0']),
                            capture_output=True, text=True)
    fields = answer.stdout.split()
    return int(fields[2]) if len(fields) == 7 else None


def _wait_served(lab, serial, zone=None):
    client = lab.hosts_with_role('ops')[0]
    pid = int((lab.state_dir / 'pids' / 'knotd.pid').read_text())

    def served():
        if not pid_alive(pid):
            raise LabError(f"knotd exited; see {lab.state_dir / 'logs' / 'knotd.log'}")
        return served_serial(lab, client, zone) == serial
    wait_until(f'DNS on {lab.site["dns"]["server"]} to serve {zone or lab.site["dns"]["zone"]} serial {serial}',
               served)


def start(lab):
    for directory in ('run', 'db', 'zones'):
        lab.dir('knot', directory)
    config_file(lab).write_text(_config_text(lab))
    serial = _write_zone(lab, ())
    for zone in reverse_zones(lab.site):  # written once: the fault tests change the forward zone only
        (lab.state_dir / 'knot' / 'zones' / f'{zone}.zone').write_text(reverse_zone_text(lab.site, zone, 1))
    lab.spawn(lab.site['dns']['server'], 'knotd', ['knotd', '-c', config_file(lab)])
    _wait_served(lab, serial)
    for zone in reverse_zones(lab.site):
        _wait_served(lab, 1, zone)


def set_extra_records(lab, records, omit=()):
    """Serve the site's zone plus records (zone-file lines, e.g. 'ctl1.lab.example.net. A 192.0.2.1'), without
    the site's records of the names in omit (fqdns).

    An empty list (and no omit) restores the zone the site describes. Returns once the new zone is served.
    """
    serial = _write_zone(lab, records, omit)
    run(['knotc', '-c', config_file(lab), 'zone-reload', lab.site['dns']['zone']])
    _wait_served(lab, serial)
