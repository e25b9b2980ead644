#
# Cookbook:: edge_fixture
# Recipe:: default
#
# Kitchen only, first in the kitchen policy's run lists (test/kitchen/Policyfile.rb): puts in
# place what the organisation's PKI and secret store deliver to a real host, the files of the
# manifest test/kitchen/fixture wrote beside the site (CA bundle, endpoint certificates and
# keys, the secrets the site references), and the CA in the system trust store. The name server
# is a companion container.
# At compile time: the estate's recipes read certificates and secrets while they compile.

require 'json'

data = node['edge_fixture']['data_dir']
manifest_file = ::File.join(data, 'manifest.json')
unless ::File.exist?(manifest_file)
  raise "#{manifest_file} is missing: generate the kitchen data with test/kitchen/docker-up " \
        '(the provisioner uploads .kitchen/data as its data_path)'
end
manifest = JSON.parse(::File.read(manifest_file))

manifest.map { |entry| ::File.dirname(entry['path']) }.uniq.sort.each do |dir|
  directory dir do
    owner 'root'
    group 'root'
    mode '0755'
    recursive true
    compile_time true
  end
end

manifest.each do |entry|
  file entry['path'] do
    content ::File.read(::File.join(data, entry['source']))
    owner 'root'
    group 'root'
    mode entry['mode']
    sensitive true
    compile_time true
  end
end

# A real host trusts the organisation's CA system-wide: the services' own clients (Placement's
# keystonemiddleware asking Keystone through the edge) verify against the system store.
ca_bundle = Ipv6Common::Site.for_node(node).ca_bundle
execute 'update-ca-certificates' do
  action :nothing
end

file '/usr/local/share/ca-certificates/ipv6-edge-site-ca.crt' do
  content lazy { ::File.read(ca_bundle) }
  owner 'root'
  group 'root'
  mode '0644'
  notifies :run, 'execute[update-ca-certificates]', :immediately
end
