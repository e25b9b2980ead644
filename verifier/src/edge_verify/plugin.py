"""The pytest plugin (entry point pytest11): the --site option, the session `site` fixture, markers."""
import os

import pytest

from edge_verify import site as site_mod

DEFAULT_SITE = "site/lab.yml"


def pytest_addoption(parser):
    group = parser.getgroup("edge_verify", "IPv6 edge verifier")
    group.addoption("--site", default=os.environ.get("EDGE_SITE", DEFAULT_SITE),
                    help="site description file, relative to the current directory unless absolute "
                         f"(default: $EDGE_SITE or {DEFAULT_SITE})")
    group.addoption("--transport-url-file", dest="transport_url_file",
                    default=os.environ.get("EDGE_TRANSPORT_URL_FILE", "/etc/ipv6_edge/oslo_messaging.conf"),
                    help="the oslo.messaging config ipv6_rabbitmq::client renders (its transport_url is used "
                         "as is by the AMQP client check)")


def pytest_configure(config):
    config.addinivalue_line("markers", "client_side: checks made from where pytest runs (TLS, DNS, "
                            "requests through the edge), so they can be repeated from another client host")


def load_site(config):
    """The site named by --site (cached; raises site.SiteError or OSError)."""
    return site_mod.load_option(config.getoption("site"), os.getcwd())


@pytest.fixture(scope="session")
def site(pytestconfig):
    """The validated site description every suite reads its expectations from."""
    try:
        return load_site(pytestconfig)
    except site_mod.SiteError as exc:
        pytest.fail(f"the site file is invalid:\n{exc}", pytrace=False)
