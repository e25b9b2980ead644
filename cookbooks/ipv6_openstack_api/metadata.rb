name 'ipv6_openstack_api'
maintainer 'IPv6 edge maintainers'
maintainer_email 'ops@example.net'
license 'Apache-2.0'
description 'OpenStack API services (Keystone, Placement) under uwsgi on [::1] behind the TLS edge, memcached on ::1, ' \
            'the catalog registered from the site; Glance, Nova, Neutron and Cinder API settings checked against their ' \
            'option definitions'
version '0.1.0'
chef_version '>= 18.0'
supports 'debian', '>= 12.0'

depends 'ipv6_common'
