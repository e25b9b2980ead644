# The site description every recipe reads (site/SCHEMA.md). It is read from
# this file on every run and never stored in the node, so an endpoint, host
# or service removed from the file is gone from the next converge.
default['ipv6_edge']['site_file'] = '/etc/ipv6_edge/site.yml'
