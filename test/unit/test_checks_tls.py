"""TLS checks on certificates made for the test: every fault with its code."""
import datetime

import pytest

from edge_verify.checks import tls
from pkitools import NOW, issue


def codes(problems):
    return [p.code for p in problems]


def cert_problems(lab, chain, bundle, endpoint="keystone", now=NOW):
    return tls.certificate_problems(lab, lab.endpoints[endpoint], chain, bundle, now=now)


def test_good_chain_passes(lab, pki):
    assert cert_problems(lab, [pki.leaf.cert, pki.intermediate.cert], [pki.root.cert]) == []
    assert cert_problems(lab, [pki.leaf.cert], [pki.root.cert, pki.intermediate.cert]) == []


def test_aware_now_is_accepted(lab, pki):
    now = NOW.replace(tzinfo=datetime.timezone.utc)
    assert cert_problems(lab, [pki.leaf.cert, pki.intermediate.cert], [pki.root.cert], now=now) == []


def test_missing_intermediate_is_chain_incomplete(lab, pki):
    [problem] = cert_problems(lab, [pki.leaf.cert], [pki.root.cert])
    assert problem.code == "chain_incomplete" and problem.host == "ctl1"
    assert problem.found == ("keystone on port 5000: chain stops at CN=keystone.lab.example.net: its issuer "
                             "CN=Lab Intermediate CA is neither presented nor in the CA bundle")
    assert problem.expects == ("a chain to /var/lib/v6lab/pki/ca.pem for keystone.lab.example.net, "
                               "valid beyond 30 days")
    assert problem.fix.startswith("the certificate at endpoints.keystone.cert (")


def test_self_signed_leaf_fails_once(lab):
    leaf = issue("keystone.lab.example.net", sans=["keystone.lab.example.net"])
    problems = cert_problems(lab, [leaf.cert], [])
    assert codes(problems) == ["self_signed"]
    assert "leaf CN=keystone.lab.example.net is self-signed" in problems[0].found


def test_chain_to_another_ca_is_untrusted(lab, pki):
    other = issue("Other Root CA", ca=True)
    problems = cert_problems(lab, [pki.leaf.cert, pki.intermediate.cert], [other.cert])
    assert codes(problems) == ["untrusted"]
    assert "issuer CN=Lab Root CA is neither presented nor in the CA bundle" in problems[0].found


def test_forged_issuer_name_fails(lab, pki):
    impostor = issue("Lab Intermediate CA", pki.root, ca=True)  # same name, different key
    problems = cert_problems(lab, [pki.leaf.cert, impostor.cert], [pki.root.cert])
    assert codes(problems) == ["chain_incomplete"] and "chain stops at CN=keystone.lab.example.net" in problems[0].found


def test_san_must_cover_the_endpoint_name(lab, pki):
    problems = cert_problems(lab, [pki.leaf.cert, pki.intermediate.cert], [pki.root.cert], endpoint="glance")
    assert codes(problems) == ["san_mismatch"]
    assert "leaf subjectAltName keystone.lab.example.net does not cover glance.lab.example.net" in problems[0].found


def test_certificate_without_san_fails(lab, pki):
    leaf = issue("keystone.lab.example.net", pki.intermediate)
    problems = cert_problems(lab, [leaf.cert, pki.intermediate.cert], [pki.root.cert])
    assert codes(problems) == ["san_mismatch"] and "subjectAltName (none) does not cover" in problems[0].found


@pytest.mark.parametrize("san, covered", [("*.lab.example.net", True), ("*.example.net", False),
                                          ("KEYSTONE.lab.example.net", True)])
def test_wildcard_covers_one_label(lab, pki, san, covered):
    leaf = issue("x", pki.intermediate, sans=[san])
    problems = cert_problems(lab, [leaf.cert, pki.intermediate.cert], [pki.root.cert])
    assert (problems == []) is covered


@pytest.mark.parametrize("not_before, not_after, code, found", [
    (-400, -1, "expired", "expired on 2026-11-24"),
    (1, 400, "not_yet_valid", "is not valid before 2026-11-26"),
    (-1, 29, "expiring", "expires on 2026-12-24, inside the 30-day window"),
])
def test_validity_dates(lab, pki, not_before, not_after, code, found):
    days = datetime.timedelta(days=1)
    leaf = issue("k", pki.intermediate, sans=["keystone.lab.example.net"],
                 not_before=NOW + not_before * days, not_after=NOW + not_after * days)
    problems = cert_problems(lab, [leaf.cert, pki.intermediate.cert], [pki.root.cert])
    assert codes(problems) == [code] and f"CN=k {found}" in problems[0].found


def test_no_certificate_fails(lab):
    [problem] = cert_problems(lab, [], [])
    assert problem.found == "keystone on port 5000: presents no certificate"


@pytest.mark.parametrize("reason, code", [
    ("self-signed certificate", "self_signed"), ("self signed certificate in certificate chain", "self_signed"),
    ("Hostname mismatch, certificate is not valid for 'cinder.lab.example.net'.", "san_mismatch"),
    ("certificate has expired", "expired"), ("unable to get local issuer certificate", "untrusted"),
    ("something new", "untrusted")])
def test_verify_messages_map_to_codes(lab, reason, code):
    [problem] = tls.handshake_problems(lab, lab.endpoints["cinder"], "2001:db8:10::11", reason, "handshake")
    assert problem.code == code and problem.host == "ctl1"
    assert tls.handshake_problems(lab, lab.endpoints["cinder"], "2001:db8:10::11", None, "handshake") == []


def test_modern_tls_only_passes(lab):
    outcomes = {"TLSv1": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True}
    assert tls.tls_version_problems(lab, lab.endpoints["keystone"], outcomes) == []


def test_old_tls_accepted_and_modern_refused_are_reported(lab):
    outcomes = {"TLSv1": True, "TLSv1.1": True, "TLSv1.2": True, "TLSv1.3": False}
    problems = tls.tls_version_problems(lab, lab.endpoints["keystone"], outcomes)
    assert [(p.code, p.found) for p in problems] == [
        ("tls_version_accepted", "keystone on port 5000 accepts TLSv1"),
        ("tls_version_accepted", "keystone on port 5000 accepts TLSv1.1"),
        ("tls_version_refused", "keystone on port 5000 refuses TLSv1.3"),
    ]
