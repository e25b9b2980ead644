"""The settings ipv6_openstack_api_config writes for Glance, Nova, Neutron and the Cinder API, checked
against the services' own option definitions (python3-glance, python3-nova, python3-neutron,
python3-cinder).

The files are rendered from the lab site, with the four services placed on ctl1, by the cookbook's
own code (test/unit/render_api_config.rb: the recipe's plan, the resource's settings, the template),
and judged by files/oslo_check.py, the command the resource's `verify` runs before a staged file
replaces the live one. Each fault is one edit of a rendered file that oslo.config would take
quietly or that breaks the service only when it starts; the checker must name the option and the fix.
"""
import ipaddress
import re
import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

TOP = Path(__file__).resolve().parents[2]
RENDER = TOP / "test" / "unit" / "render_api_config.rb"
CHECK = TOP / "cookbooks" / "ipv6_openstack_api" / "files" / "oslo_check.py"
SERVICES = {"glance": "glance", "nova": "nova", "neutron": "neutron", "cinder": "cinder_api"}
# The option that binds, and my_ip where the service has it.
LISTEN = {"glance": "bind_host", "nova": "osapi_compute_listen", "neutron": "bind_host",
          "cinder": "osapi_volume_listen"}
PORT = {"glance": "bind_port", "nova": "osapi_compute_listen_port", "neutron": "bind_port",
        "cinder": "osapi_volume_listen_port"}
MY_IP = {"nova", "cinder"}
RUBY = shutil.which("ruby")

# One edit of a rendered file per fault: (name, replace what, with what, what the message must say).
FAULTS = {
    "unbracketed_url": ("@[2001:db8:10::11]:5672", "@2001:db8:10::11:5672",
                        r"\[DEFAULT\] transport_url: '2001:db8:10::11:5672' is an unbracketed IPv6 literal.*"
                        r"write it bracketed"),
    "wildcard_ipv4_bind": ("{listen} = ::1", "{listen} = 0.0.0.0",
                           r"\[DEFAULT\] {listen}: 0\.0\.0\.0 is IPv4; this control plane is IPv6-only: "
                           r"write the bare IPv6 literal"),
    "unknown_option": ("[DEFAULT]\n", "[DEFAULT]\nbind_hots = ::1\n",
                       r"\[DEFAULT\] bind_hots is not an option of .*; remove it or correct its name"),
    "bracketed_my_ip": ("my_ip = 2001:db8:10::11", "my_ip = [2001:db8:10::11]",
                        r"\[DEFAULT\] my_ip: \[2001:db8:10::11\] is bracketed; write the bare literal, "
                        r"e\.g\. 2001:db8:10::11"),
}


def faults_of(service):
    return [name for name in FAULTS if name != "bracketed_my_ip" or service in MY_IP]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """service -> (its rendered text, the checker's verdict on it and on each fault's edit of it)."""
    if RUBY is None:
        pytest.fail("ruby is not installed; bin/bootstrap installs it (packages.debian)")
    tmp = tmp_path_factory.mktemp("api-config")
    site = yaml.safe_load((TOP / "site" / "lab.yml").read_text())
    secrets = tmp / "secrets"
    secrets.mkdir()

    def secret(name):
        path = secrets / name
        path.write_text(f"{name}-secret\n")
        return {"file": str(path)}

    site["services"]["rabbitmq"]["users"]["openstack"]["password"] = secret("rabbitmq")
    for service, key in SERVICES.items():
        site["services"][key] = {"host": "ctl1", "password": secret(service)}
    site_file = tmp / "site.yml"
    site_file.write_text(yaml.safe_dump(site, sort_keys=False))
    out = subprocess.run([RUBY, str(RENDER), str(site_file), "ctl1", str(tmp)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert sorted(report) == sorted(SERVICES), report

    def check(service):
        entry = report[service]
        good = Path(entry["path"])
        text = good.read_text()
        files = {None: good}
        for name in faults_of(service):
            old, new, _ = FAULTS[name]
            old, new = old.format(listen=LISTEN[service]), new.format(listen=LISTEN[service])
            assert old in text, f"{service}: the rendered file has no {old!r} to break"
            files[name] = tmp / f"{service}-{name}.conf"
            files[name].write_text(text.replace(old, new, 1))
        argv = ["/usr/bin/python3", str(CHECK)]
        argv += [arg for ns in entry["namespaces"] for arg in ("--namespace", ns)]
        argv += [arg for option in entry["ipv6_addresses"] for arg in ("--ipv6-address", option)]
        run = subprocess.run(argv + [str(p) for p in files.values()], capture_output=True, text=True, check=False)
        lines = run.stderr.splitlines()
        verdicts = {name: [line[len(str(p)) + 2:] for line in lines if line.startswith(f"{p}: ")]
                    for name, p in files.items()}
        return service, (text, verdicts, run)

    # One checker per service, all at once: loading a service's definitions takes seconds.
    with ThreadPoolExecutor(max_workers=len(SERVICES)) as pool:
        return dict(pool.map(check, SERVICES))


def options(text):
    """section -> {option: value} of a rendered file."""
    sections, current = {}, None
    for line in text.splitlines():
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        elif " = " in line and current is not None:
            key, value = line.split(" = ", 1)
            current[key] = value
    return sections


@pytest.mark.parametrize("service", SERVICES)
def test_api_config_passes_its_option_definitions(rendered, service):
    """The staged file is what the resource's verify judges: a file the checker refuses never replaces
    the live one, so the file the site produces must pass, or no converge could write it."""
    _text, verdicts, run = rendered[service]
    assert verdicts[None] == [], f"{service}: {verdicts[None]}"
    assert "Traceback" not in run.stderr, run.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_api_config_binds_bare_loopback_on_backend_port(rendered, service):
    """Behind the edge each API answers on [::1] only; the option takes the bare literal (its
    default, 0.0.0.0, binds every IPv4 address), and the port is the endpoint's backend_port."""
    conf = options(rendered[service][0])["DEFAULT"]
    site = yaml.safe_load((TOP / "site" / "lab.yml").read_text())
    assert conf[LISTEN[service]] == "::1"
    assert conf[PORT[service]] == str(site["endpoints"][service]["backend_port"])


@pytest.mark.parametrize("service", SERVICES)
def test_api_config_urls_are_names_or_bracketed(rendered, service):
    """Keystone is reached by its https name (the certificate is for the name); the broker by its
    bracketed site address (an unbracketed one cannot be parsed); memcached in the backend's form."""
    conf = options(rendered[service][0])
    auth = conf["keystone_authtoken"]
    assert auth["www_authenticate_uri"] == auth["auth_url"] == "https://keystone.lab.example.net:5000"
    assert auth["memcached_servers"] == "inet6:[::1]:11211"
    assert conf["DEFAULT"]["transport_url"] == "rabbit://openstack:rabbitmq-secret@[2001:db8:10::11]:5672/%2Fopenstack"
    if service in MY_IP:
        assert ipaddress.IPv6Address(conf["DEFAULT"]["my_ip"]) == ipaddress.IPv6Address("2001:db8:10::11")


def test_nova_reaches_placement_glance_neutron_by_https_names(rendered):
    """Nova's client sections take the endpoints' https names, so its calls cross the edge's TLS."""
    conf = options(rendered["nova"][0])
    for section, url in {"placement": "https://placement.lab.example.net:8778",
                         "glance": "https://glance.lab.example.net:9292",
                         "neutron": "https://neutron.lab.example.net:9696"}.items():
        assert conf[section]["endpoint_override"] == url
        assert conf[section]["cafile"] == "/var/lib/v6lab/pki/ca.pem"
    assert conf["cache"]["memcache_servers"] == "inet6:[::1]:11211"
    assert "username" not in conf["glance"], "nova's [glance] has no credentials of its own"


@pytest.mark.parametrize("service,fault", [(s, f) for s in SERVICES for f in faults_of(s)])
def test_api_config_fault_is_refused_with_option_and_fix(rendered, service, fault):
    """Each fault is taken by oslo.config or fails only when the service starts (an IPv4 wildcard
    bind, a bracketed my_ip in Nova's plain string, a broker URL oslo.messaging cannot split); the
    checker refuses the file, naming the option and the fix."""
    _text, verdicts, run = rendered[service]
    pattern = FAULTS[fault][2].format(listen=LISTEN[service])
    found = verdicts[fault]
    assert any(re.search(pattern, line) for line in found), f"{service} {fault}: {found or run.stderr[-2000:]}"
    assert not any("secret" in line for line in found), "a message repeats a password"
