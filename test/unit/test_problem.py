"""One Problem type, rendered one way, with codes from one list."""
import pytest

from edge_verify.problem import CODES, SHARED_CODES, WARNING_CODES, Problem, render

RUBY_SHARED = ("ipv4 dual_stack ipv4_mapped self_signed untrusted chain_incomplete expired expiring not_yet_valid "
               "san_mismatch key_mismatch key_mode weak_key weak_signature validity_too_long no_server_auth "
               "unreadable dns_a_record dns_aaaa_missing dns_unreachable address_not_configured").split()


def test_shared_codes_are_the_ruby_sides():
    assert SHARED_CODES == set(RUBY_SHARED)


def test_problem_renders_host_found_expects_fix_code_and_source():
    problem = Problem("ops1", "ipv4", "python3 on 0.0.0.0:7997 (IPv4)", "listeners only on 2001:db8:10::31, ::1",
                      "the bind address of python3 on ops1", "ss -Hltnuep on ops1")
    assert str(problem) == ("ops1: python3 on 0.0.0.0:7997 (IPv4); site expects listeners only on "
                            "2001:db8:10::31, ::1; fix the bind address of python3 on ops1 "
                            "[ipv4; ss -Hltnuep on ops1]")
    assert render([problem, problem]) == f"{problem}\n{problem}"
    assert problem.to_dict() == {"host": "ops1", "code": "ipv4", "found": "python3 on 0.0.0.0:7997 (IPv4)",
                                 "expects": "listeners only on 2001:db8:10::31, ::1",
                                 "fix": "the bind address of python3 on ops1", "source": "ss -Hltnuep on ops1"}


def test_unknown_code_is_refused():
    assert "ipv4" in CODES
    with pytest.raises(ValueError, match="unknown problem code 'ipv_4'"):
        Problem("h", "ipv_4", "", "", "", "")


def test_only_warning_codes_are_warnings():
    """A warning is shown but fails nothing; every other code is an error."""
    assert WARNING_CODES <= CODES
    assert Problem("dns1", "dns_unknown_name", "", "", "", "").level == "warning"
    assert Problem("dns1", "dns_a_record", "", "", "", "").level == "error"
