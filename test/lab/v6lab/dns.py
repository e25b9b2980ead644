"""Knot on the DNS host, authoritative for the site's zone: AAAA records only."""
import subprocess

from .lab import LabError, pid_alive, run, wait_until


def zone_text(site, serial, extra=(), omit=()):
    """The zone from the site: SOA, NS, AAAA per host and per endpoint (except the names in omit), then extra
    lines verbatim."""
    zone = site['dns']['zone']
    hosts = site['hosts']
    server = hosts[site['dns']['server']]['fqdn']
    lines = [f'$ORIGIN {zone}.', f"$TTL {site['dns'].get('ttl', 300)}",
             f'@ SOA {server}. hostmaster.{zone}. {serial} 3600 600 604800 300',
             f'@ NS {server}.']
    for host in hosts.values():
        if host['fqdn'] not in omit:
            lines += [f"{host['fqdn']}. AAAA {address}" for address in host['addresses']]
    for endpoint in site.get('endpoints', {}).values():
        if endpoint['fqdn'] not in omit:
            lines.append(f"{endpoint['fqdn']}. AAAA {hosts[endpoint['host']]['addresses'][0]}")
    return '\n'.join([*lines, *extra]) + '\n'


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
  - domain: {site['dns']['zone']}
    file: "{site['dns']['zone']}.zone"
    acl: transfer_to_ops
"""


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


def served_serial(lab, client):
    """The SOA serial the DNS server answers with, asked from inside client (None if no answer)."""
    server = lab.address(lab.site['dns']['server'])
    answer = subprocess.run(lab.argv_in(client, ['kdig', f'@{server}', lab.site['dns']['zone'], 'SOA',
                                                 '+short', '+time=1', '+retry=0']),
                            capture_output=True, text=True)
    fields = answer.stdout.split()
    return int(fields[2]) if len(fields) == 7 else None


def _wait_served(lab, serial):
    client = lab.hosts_with_role('ops')[0]
    pid = int((lab.state_dir / 'pids' / 'knotd.pid').read_text())

    def served():
        if not pid_alive(pid):
            raise LabError(f"knotd exited; see {lab.state_dir / 'logs' / 'knotd.log'}")
        return served_serial(lab, client) == serial
    wait_until(f'DNS on {lab.site["dns"]["server"]} to serve serial {serial}', served)


def start(lab):
    for directory in ('run', 'db', 'zones'):
        lab.dir('knot', directory)
    config_file(lab).write_text(_config_text(lab))
    serial = _write_zone(lab, ())
    lab.spawn(lab.site['dns']['server'], 'knotd', ['knotd', '-c', config_file(lab)])
    _wait_served(lab, serial)


def set_extra_records(lab, records, omit=()):
    """Serve the site's zone plus records (zone-file lines, e.g. 'ctl1.lab.example.net. A 192.0.2.1'), without
    the site's records of the names in omit (fqdns).

    An empty list (and no omit) restores the zone the site describes. Returns once the new zone is served.
    """
    serial = _write_zone(lab, records, omit)
    run(['knotc', '-c', config_file(lab), 'zone-reload', lab.site['dns']['zone']])
    _wait_served(lab, serial)
