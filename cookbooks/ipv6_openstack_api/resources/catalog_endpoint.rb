unified_mode true
provides :ipv6_openstack_api_catalog_endpoint

description 'One site endpoint in Keystone\'s catalog: its service (by type) and one endpoint per interface, ' \
            'each with the https URL of the endpoint\'s name. Reads the catalog first and changes only what ' \
            'differs; an entry of the service on an interface the site does not list is removed.'

property :endpoint_name, String,
         name_property: true,
         description: 'Site endpoint name (endpoints.NAME); also the catalog service name.'

property :service_type, String,
         required: true,
         description: 'Catalog service type (identity, placement, image, compute, network, block-storage).'

property :urls, Hash,
         required: true,
         description: 'interface => URL; every URL is https on a DNS name (never an address, never http). Checked ' \
                      'in the action (the catalog read back may hold anything).',
         coerce: proc { |v| v.to_h { |k, u| [k.to_s, u] } }

property :region, String,
         default: 'RegionOne',
         description: 'Region of the endpoints.',
         desired_state: false

property :keystone_port, Integer,
         required: true,
         description: 'Keystone\'s backend port on [::1], where the catalog is read and written.',
         desired_state: false

property :admin_password, String,
         required: true,
         sensitive: true,
         desired_state: false,
         validation_message: 'admin_password must be a non-empty string',
         description: 'Password of Keystone\'s admin (from the site\'s secret reference).'

load_current_value do |desired|
  # Refused before Keystone is asked anything.
  problems = Ipv6OpenstackApi::Validate.catalog_problems(desired.endpoint_name, desired.urls)
  raise Ipv6Common::ConfigError, problems unless problems.empty?

  identity = Ipv6OpenstackApi::Identity.new(port: desired.keystone_port, password: desired.admin_password)
  service = identity.service(desired.service_type)
  current_value_does_not_exist! unless service
  urls service ? identity.endpoints(service['id']).to_h { |e| [e['interface'], e['url']] } : {}
end

action :create do
  description 'Register the service and its endpoints, correcting URLs that differ.'

  converge_if_changed :urls do
    identity = Ipv6OpenstackApi::Identity.new(port: new_resource.keystone_port, password: new_resource.admin_password)
    service = identity.service(new_resource.service_type) ||
              identity.post('/v3/services', service: { type: new_resource.service_type,
                                                       name: new_resource.endpoint_name, enabled: true })['service']
    existing = identity.endpoints(service['id']).group_by { |e| e['interface'] }
    new_resource.urls.each do |interface, url|
      found = existing.delete(interface) || []
      keep, *extra = found
      extra.each { |e| identity.delete("/v3/endpoints/#{e['id']}") }
      if keep.nil?
        identity.post('/v3/endpoints', endpoint: { service_id: service['id'], interface: interface, url: url,
                                                   region_id: new_resource.region, enabled: true })
      elsif keep['url'] != url
        identity.patch("/v3/endpoints/#{keep['id']}", endpoint: { url: url })
      end
    end
    existing.values.flatten.each { |e| identity.delete("/v3/endpoints/#{e['id']}") }
  end
end
