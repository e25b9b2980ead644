"""The HAProxy edge checks on recorded facts: silent on a good edge, naming every offender on a bad one."""
import json

from edge_verify import parsers, tls_checks

PORTS = {"cinder": 8776, "glance": 9292, "keystone": 5000, "neutron": 9696, "nova": 8774, "placement": 8778}


def ss_line(local, v6only=1, process="haproxy"):
    """One `ss -Hltnuep` line as recorded on the lab's ctl1."""
    return (f'tcp LISTEN 0 4096 {local} [::]:* users:(("{process}",pid=23243,fd=8)) ino:37779 sk:101b '
            f'cgroup:unreachable:1 v6only:{v6only} <->')


def good_edge():
    return [ss_line(f"[2001:db8:10::11]:{port}") for port in PORTS.values()] + [
        ss_line("[::1]:5000", process="uwsgi"), ss_line("[2001:db8:10::11]:22", process="sshd")]


def listener_problems(lab, lines, host="ctl1"):
    return tls_checks.haproxy_listener_problems(lab, host, parsers.parse_ss("\n".join(lines)))


def test_good_edge_has_no_listener_problem(lab):
    assert listener_problems(lab, good_edge()) == []


def test_host_without_endpoints_must_not_run_the_edge(lab):
    assert listener_problems(lab, [ss_line("[2001:db8:10::21]:22", process="sshd")], host="cmp1") == []
    problems = listener_problems(lab, [ss_line("[2001:db8:10::21]:5000")], host="cmp1")
    assert problems == ["cmp1: haproxy listens on [2001:db8:10::21]:5000, which no endpoint of cmp1 names; "
                        "site expects haproxy only on nothing; fix endpoints in site/lab.yml, then converge"]


def test_every_stray_and_missing_edge_socket_is_reported(lab):
    lines = [line for line in good_edge() if ":9292 " not in line] + [
        ss_line("*:8080", v6only=0), ss_line("[::]:5001"), ss_line("[::1]:8774"), ss_line("0.0.0.0:9000")]
    lines = [line.replace("v6only:1", "v6only:0") if "]:5000 " in line and "haproxy" in line else line
             for line in lines]
    problems = listener_problems(lab, lines)
    assert [p.split(";")[0] for p in problems] == [
        "ctl1: haproxy on [2001:db8:10::11]:5000 is not v6only (dual-stack)",
        "ctl1: haproxy listens on *:8080, which no endpoint of ctl1 names",
        "ctl1: haproxy listens on [::]:5001, which no endpoint of ctl1 names",
        "ctl1: haproxy listens on [::1]:8774, which no endpoint of ctl1 names",
        "ctl1: haproxy listens on 0.0.0.0:9000, which no endpoint of ctl1 names",
        "ctl1: nothing listens for glance on [2001:db8:10::11]:9292",
    ]
    assert problems[0].endswith("site expects keystone on [2001:db8:10::11]:5000 v6only; fix the bind line "
                                "in /etc/haproxy/haproxy.cfg (converge restores it)")


def test_modern_tls_only_passes(lab):
    outcomes = {"TLSv1": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True}
    assert tls_checks.tls_version_problems(lab, lab.endpoints["keystone"], outcomes) == []


def test_old_tls_accepted_and_modern_refused_are_reported(lab):
    outcomes = {"TLSv1": True, "TLSv1.1": True, "TLSv1.2": True, "TLSv1.3": False}
    problems = tls_checks.tls_version_problems(lab, lab.endpoints["keystone"], outcomes)
    assert [p.split(";")[0] for p in problems] == [
        "ctl1: keystone on port 5000 accepts TLSv1",
        "ctl1: keystone on port 5000 accepts TLSv1.1",
        "ctl1: keystone on port 5000 refuses TLSv1.3",
    ]


def version_document(href):
    return json.dumps({"version": {"id": "v3.14", "links": [{"rel": "self", "href": href}]}})


def test_https_links_pass(lab):
    body = version_document("https://keystone.lab.example.net:5000/v3/")
    assert tls_checks.version_document_problems(lab.endpoints["keystone"], 200, body) == []


def test_http_link_is_reported(lab):
    body = version_document("http://keystone.lab.example.net:5000/v3/")
    assert tls_checks.version_document_problems(lab.endpoints["keystone"], 200, body) == [
        "ctl1: GET https://keystone.lab.example.net:5000/ links to http://keystone.lab.example.net:5000/v3/; "
        "site expects a version document linking to https://keystone.lab.example.net:5000/; "
        "fix X-Forwarded-Proto in the endpoint's frontend (ipv6_haproxy_endpoint)"]


def test_error_status_non_json_and_linkless_documents_are_reported(lab):
    keystone = lab.endpoints["keystone"]
    found = [tls_checks.version_document_problems(keystone, 503, "<html>")[0].split(";")[0],
             tls_checks.version_document_problems(keystone, 200, "<html>")[0].split(";")[0],
             tls_checks.version_document_problems(keystone, 200, "{}")[0].split(";")[0]]
    assert found == ["ctl1: GET https://keystone.lab.example.net:5000/ answered HTTP 503",
                     "ctl1: GET https://keystone.lab.example.net:5000/ answered with no JSON: '<html>'",
                     "ctl1: GET https://keystone.lab.example.net:5000/ answered a document without links"]
