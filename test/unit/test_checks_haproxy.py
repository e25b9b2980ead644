"""The HAProxy edge checks on recorded facts: silent on a good edge, every offender with its code."""
import dataclasses
import json

from edge_verify.checks import haproxy
from edge_verify.facts import parsers

PORTS = {"cinder": 8776, "glance": 9292, "keystone": 5000, "neutron": 9696, "nova": 8774, "placement": 8778,
         "rabbitmq-management": 15671}


def ss_line(local, v6only=1, process="haproxy"):
    """One `ss -Hltnuep` line as recorded on the lab's ctl1."""
    return (f'tcp LISTEN 0 4096 {local} [::]:* users:(("{process}",pid=23243,fd=8)) ino:37779 sk:101b '
            f'cgroup:unreachable:1 v6only:{v6only} <->')


def good_edge():
    return [ss_line(f"[2001:db8:10::11]:{port}") for port in PORTS.values()] + [
        ss_line("[::1]:5000", process="uwsgi"), ss_line("[2001:db8:10::11]:22", process="sshd")]


def listener_problems(lab, lines, host="ctl1"):
    return haproxy.haproxy_listener_problems(lab, host, parsers.parse_ss("\n".join(lines)))


def found(problems):
    return [(p.code, p.found) for p in problems]


def test_good_edge_has_no_listener_problem(lab):
    assert listener_problems(lab, good_edge()) == []


def test_sockets_without_process_names_are_a_probe_failure_not_missing_listeners(lab):
    """ss run without root names no process: the edge's sockets are there, the check cannot tell whose."""
    lines = [line.split(" users:")[0] + " ino:1 sk:1 cgroup:unreachable:1 v6only:1 <->" for line in good_edge()]
    problems = listener_problems(lab, lines)
    assert [p.code for p in problems] == ["probe_failed"]
    assert "--sudo" in problems[0].fix and "[2001:db8:10::11]:5000" in problems[0].found


def test_host_without_endpoints_must_not_run_the_edge(lab):
    assert listener_problems(lab, [ss_line("[2001:db8:10::21]:22", process="sshd")], host="cmp1") == []
    [problem] = listener_problems(lab, [ss_line("[2001:db8:10::21]:5000")], host="cmp1")
    assert (problem.code, problem.found, problem.expects) == (
        "unexpected_listener", "haproxy listens on [2001:db8:10::21]:5000, which no endpoint of cmp1 names",
        "haproxy only on nothing")


def test_every_stray_and_missing_edge_socket_is_reported(lab):
    lines = [line for line in good_edge() if ":9292 " not in line] + [
        ss_line("*:8080", v6only=0), ss_line("[::]:5001"), ss_line("[::1]:8774"), ss_line("0.0.0.0:9000")]
    lines = [line.replace("v6only:1", "v6only:0") if "]:5000 " in line and "haproxy" in line else line
             for line in lines]
    problems = listener_problems(lab, lines)
    assert found(problems) == [
        ("not_v6only", "haproxy on [2001:db8:10::11]:5000 is not v6only (dual-stack)"),
        ("unexpected_listener", "haproxy listens on *:8080, which no endpoint of ctl1 names"),
        ("unexpected_listener", "haproxy listens on [::]:5001, which no endpoint of ctl1 names"),
        ("unexpected_listener", "haproxy listens on [::1]:8774, which no endpoint of ctl1 names"),
        ("unexpected_listener", "haproxy listens on 0.0.0.0:9000, which no endpoint of ctl1 names"),
        ("listener_missing", "nothing listens for glance on [2001:db8:10::11]:9292"),
    ]
    assert problems[0].expects == "keystone on [2001:db8:10::11]:5000 v6only"
    assert problems[0].fix == "the bind line in /etc/haproxy/haproxy.cfg on ctl1 (converge restores it)"


def test_stats_socket(lab):
    path = haproxy.STATS_SOCKET
    assert haproxy.stats_socket_problems("ctl1", {path: ("socket", "root", 0o600)}) == []
    assert found(haproxy.stats_socket_problems("ctl1", {path: ("socket", "root", 0o666)})) == [
        ("socket_mode", f"{path} is root 666")]
    assert found(haproxy.stats_socket_problems("ctl1", {})) == [("listener_missing", f"{path} is missing")]
    assert found(haproxy.stats_socket_problems("ctl1", {path: ("regular file", "root", 0o600)})) == [
        ("listener_missing", f"{path} is regular file")]


def version_document(href):
    return json.dumps({"version": {"id": "v3.14", "links": [{"rel": "self", "href": href}]}})


def test_https_links_pass(lab):
    body = version_document("https://keystone.lab.example.net:5000/v3/")
    assert haproxy.version_document_problems(lab.endpoints["keystone"], 200, body) == []


def test_relative_links_stay_on_the_edge(lab):
    """Placement's root document links to "" (itself): relative links resolve to the URL fetched."""
    for href in ("", "/v3/", "v3/"):
        assert haproxy.version_document_problems(lab.endpoints["placement"], 200, version_document(href)) == []
    [problem] = haproxy.version_document_problems(lab.endpoints["placement"], 200, version_document("//[::1]:8778/"))
    assert problem.code == "http_link"


def test_http_link_is_reported(lab):
    body = version_document("http://keystone.lab.example.net:5000/v3/")
    [problem] = haproxy.version_document_problems(lab.endpoints["keystone"], 200, body)
    assert (problem.code, problem.found) == (
        "http_link", "GET https://keystone.lab.example.net:5000/ links to http://keystone.lab.example.net:5000/v3/")
    assert problem.fix == "X-Forwarded-Proto in the keystone frontend (ipv6_haproxy_endpoint) on ctl1"


def test_error_status_non_json_and_linkless_documents_are_reported(lab):
    keystone = lab.endpoints["keystone"]
    assert [found(haproxy.version_document_problems(keystone, status, body))[0] for status, body in
            ((503, "<html>"), (200, "<html>"), (200, "{}"))] == [
        ("http_error", "GET https://keystone.lab.example.net:5000/ answered HTTP 503"),
        ("http_error", "GET https://keystone.lab.example.net:5000/ answered with no JSON: '<html>'"),
        ("http_error", "GET https://keystone.lab.example.net:5000/ answered a document without links")]


def test_hsts_as_the_site_says_passes(lab):
    header = "max-age=63072000; includeSubDomains"
    assert haproxy.hsts_problems(lab, lab.endpoints["nova"], header) == []


def test_missing_or_weaker_hsts_is_reported(lab):
    nova = lab.endpoints["nova"]
    assert [found(haproxy.hsts_problems(lab, nova, header)) for header in (None, "max-age=300")] == [
        [("hsts", "nova: https://nova.lab.example.net:8774/ sends no Strict-Transport-Security header")],
        [("hsts", "nova: https://nova.lab.example.net:8774/ sends Strict-Transport-Security 'max-age=300'")]]


def test_hsts_switched_off_in_the_site_expects_no_header(lab):
    site = dataclasses.replace(lab, tls={**lab.tls, "hsts": False})
    assert haproxy.hsts_problems(site, site.endpoints["nova"], None) == []
    [problem] = haproxy.hsts_problems(site, site.endpoints["nova"], "max-age=63072000; includeSubDomains")
    assert (problem.code, problem.expects) == ("hsts", "no Strict-Transport-Security header")


def management(lab):
    return dataclasses.replace(lab.endpoints["keystone"], name="rabbitmq-management", fqdn="rabbitmq.lab.example.net",
                               port=15671, backend_port=15672)


def test_the_management_ui_through_the_edge_passes(lab, data):
    """RabbitMQ's management plugin answers / with its UI page, not a version document."""
    assert haproxy.management_ui_problems(management(lab), 200, data("rabbitmq-management-root.html")) == []


def test_a_management_endpoint_that_answers_something_else_is_reported(lab, data):
    endpoint = management(lab)
    problems = haproxy.management_ui_problems(endpoint, 503, "<html><body><h1>503 Service Unavailable</h1>")
    assert [(p.code, p.found) for p in problems] == [
        ("http_error", "GET https://rabbitmq.lab.example.net:15671/ answered HTTP 503")]
    assert "[::1]:15672" in problems[0].fix and "services.rabbitmq.management_endpoint" in problems[0].expects
    document = version_document("https://rabbitmq.lab.example.net:15671/")
    problems = haproxy.management_ui_problems(endpoint, 200, document)
    assert [p.code for p in problems] == ["http_error"] and "another page" in problems[0].found


def test_the_management_endpoint_is_named_by_the_site(lab):
    assert haproxy.management_endpoint(lab) == "rabbitmq-management"
    site = dataclasses.replace(lab, services={**lab.services, "rabbitmq": {
        k: v for k, v in lab.services["rabbitmq"].items() if k != "management_endpoint"}})
    assert haproxy.management_endpoint(site) is None
