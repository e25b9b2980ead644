# frozen_string_literal: true

require 'chefspec'
require 'tmpdir'

Dir[File.expand_path('../libraries/*.rb', __dir__)].sort.each { |lib| require lib }
Dir[File.expand_path('support/*.rb', __dir__)].sort.each { |helper| require helper }

RSpec.configure do |config|
  config.cookbook_path = File.expand_path('../..', __dir__)
  config.platform = 'debian'
  config.version = '12'
  config.log_level = :fatal
end
