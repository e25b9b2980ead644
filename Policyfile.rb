# One policy for the whole estate; each role is a named run list.
# Cookbooks resolve from this repository only (no network).
name 'ipv6_edge'

default_source :chef_repo, 'cookbooks'

cookbook 'ipv6_common', path: 'cookbooks/ipv6_common'
cookbook 'ipv6_haproxy', path: 'cookbooks/ipv6_haproxy'
cookbook 'ipv6_openstack_api', path: 'cookbooks/ipv6_openstack_api'
cookbook 'ipv6_rabbitmq', path: 'cookbooks/ipv6_rabbitmq'
cookbook 'ipv6_cinder', path: 'cookbooks/ipv6_cinder'

run_list 'ipv6_common::default'

named_run_list :controller, 'ipv6_common::default', 'ipv6_openstack_api::default', 'ipv6_haproxy::default',
               'ipv6_rabbitmq::default', 'ipv6_cinder::default'
named_run_list :compute, 'ipv6_common::default', 'ipv6_rabbitmq::client'
named_run_list :dns, 'ipv6_common::default'
named_run_list :ops, 'ipv6_common::default'
