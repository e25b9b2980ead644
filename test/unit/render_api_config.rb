# frozen_string_literal: true

# Renders the settings files ipv6_openstack_api_config writes for one host of
# a site, through the cookbook's own code (Plan -> Settings -> the template),
# without Chef:
#
#   ruby test/unit/render_api_config.rb SITE.yml HOST OUTDIR
#
# Writes OUTDIR/<service>.conf and prints, as JSON, each service's file, its
# oslo.config namespaces and the options oslo_check must find bare IPv6.
require 'erb'
require 'json'

top = File.expand_path('../..', __dir__)
%w(errors validate address site_yaml site secret transport_url).each do |lib|
  require File.join(top, 'cookbooks/ipv6_common/libraries', lib)
end
%w(api settings plan).each { |lib| require File.join(top, 'cookbooks/ipv6_openstack_api/libraries', lib) }

# The template sees @sections and @service, as under Chef.
class Rendering
  def initialize(sections, service)
    @sections = sections
    @service = service
  end

  def render(template)
    template.result(binding)
  end
end

site_path, host, outdir = ARGV
template = ERB.new(File.read(File.join(top, 'cookbooks/ipv6_openstack_api/templates/service.conf.erb')), trim_mode: '-')
settings = Ipv6OpenstackApi::Settings
begin
  plan = Ipv6OpenstackApi::Plan.new(Ipv6Common::Site.load_file(site_path), host)
  report = plan.configs.to_h do |service, props|
    path = File.join(outdir, "#{service}.conf")
    File.write(path, Rendering.new(settings.config_sections(service, props), service).render(template))
    [service, { 'path' => path, 'namespaces' => settings::CONFIGS[service]['namespaces'],
                'ipv6_addresses' => settings.address_options(service) }]
  end
  puts JSON.generate(report)
rescue Ipv6Common::ConfigError => e
  warn e.message
  exit 2
end
