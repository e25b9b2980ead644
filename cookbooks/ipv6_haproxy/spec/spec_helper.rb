require 'chefspec'
require 'tmpdir'

# The libraries are plain Ruby: load them for specs that run without a converge.
require_relative '../../ipv6_common/libraries/site'
require_relative '../../ipv6_common/libraries/pki'
require_relative '../libraries/edge'
# PLATFORMS: the platforms metadata.rb supports, shared with ipv6_common's specs.
require_relative '../../ipv6_common/spec/support/platforms'

module Ipv6HaproxySpec
  CONFIG = '/etc/haproxy/haproxy.cfg'.freeze

  # The rendered configuration as stripped lines, for line-by-line expectations.
  def config_lines(run = chef_run)
    template = run.template(CONFIG)
    ChefSpec::Renderer.new(run, template).content.lines.map(&:strip)
  end
end

# A cookbook path holding only this cookbook and its dependency, so the specs
# do not depend on the state of the other cookbooks in the repository (the
# directory name must contain "cookbook" for ChefSpec to use it as is).
COOKBOOKS = Dir.mktmpdir('cookbooks')
%w(ipv6_common ipv6_haproxy).each do |name|
  File.symlink(File.expand_path("../../#{name}", __dir__), File.join(COOKBOOKS, name))
end
at_exit { FileUtils.rm_rf(COOKBOOKS) }

RSpec.configure do |config|
  config.cookbook_path = COOKBOOKS
  config.include Ipv6HaproxySpec
  config.log_level = :error
end
