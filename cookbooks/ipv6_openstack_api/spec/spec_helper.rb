require 'chefspec'

# The libraries are plain Ruby: load them for specs that run without a converge.
Dir[File.expand_path('../../ipv6_common/libraries/*.rb', __dir__)].sort.each { |lib| require lib }
Dir[File.expand_path('../libraries/*.rb', __dir__)].sort.each { |lib| require lib }
# Shared helpers: PLATFORMS, SiteFiles, TestPki, InitSystem, CookbookPath, rendered_lines.
Dir[File.expand_path('../../ipv6_common/spec/support/*.rb', __dir__)].sort.each { |helper| require helper }

RSpec.configure do |config|
  config.cookbook_path = CookbookPath.with('ipv6_common', 'ipv6_openstack_api')
  config.log_level = :error
end
