# A small target for smoke tests (the verifier's discovery and INQUIRY from a
# compute host): nil leaves it out. The lab sets
#   { 'iqn' => 'iqn.2010-10.org.openstack:probe', 'path' => '/var/lib/cinder/probe.img', 'size_mb' => 64 }
default['ipv6_cinder']['probe_target'] = nil
