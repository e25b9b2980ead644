# frozen_string_literal: true

require 'chefspec'
require 'tmpdir'

Dir[File.expand_path('../libraries/*.rb', __dir__)].sort.each { |lib| require lib }
# Shared by every cookbook's specs (their spec_helper loads this directory too).
Dir[File.expand_path('support/*.rb', __dir__)].sort.each { |helper| require helper }

RSpec.configure do |config|
  config.cookbook_path = CookbookPath.with('ipv6_common')
  config.platform = 'debian'
  config.version = '12'
  config.log_level = :fatal
end
