# Where ipv6_rabbitmq::client writes the oslo.messaging settings (transport_url)
# that the OpenStack services of the host include with --config-file.
default['ipv6_rabbitmq']['client_config'] = '/etc/ipv6_edge/oslo_messaging.conf'
