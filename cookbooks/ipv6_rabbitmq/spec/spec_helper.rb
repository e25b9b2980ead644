require 'chefspec'

# The libraries are plain Ruby: load them for specs that run without a converge.
Dir[File.expand_path('../../ipv6_common/libraries/*.rb', __dir__)].sort.each { |lib| require lib }
Dir[File.expand_path('../libraries/*.rb', __dir__)].sort.each { |lib| require lib }
# Shared helpers: PLATFORMS, SiteFiles, InitSystem, CookbookPath, rendered_lines.
Dir[File.expand_path('../../ipv6_common/spec/support/*.rb', __dir__)].sort.each { |helper| require helper }

# rabbitmqctl as a broker in memory: users (name => [password, tags]), vhosts,
# permissions ([user, vhost] => [c, w, r]). Records every call with its stdin.
class FakeBroker
  attr_reader :users, :vhosts, :permissions, :calls

  def initialize(users: {}, vhosts: ['/'], permissions: {})
    @users = users
    @vhosts = vhosts
    @permissions = permissions
    @calls = []
  end

  def run(*args, input: nil)
    @calls << [args.map(&:to_s), input]
    out = case args.first
          when 'list_users' then JSON.generate(@users.map { |name, (_pw, tags)| { 'user' => name, 'tags' => tags } })
          when 'list_vhosts' then JSON.generate(@vhosts.map { |v| { 'name' => v } })
          when 'list_user_permissions'
            JSON.generate(@permissions.select { |(u, _v), _| u == args[1] }
                                      .map { |(_u, v), (c, w, r)| { 'vhost' => v, 'configure' => c, 'write' => w, 'read' => r } })
          when 'authenticate_user' then return result(@users.dig(args[1], 0) == input ? 0 : 65)
          else ''
          end
    result(0, out)
  end

  def result(status, out = '')
    Ipv6Rabbitmq::Ctl::Result.new(status, out, status.zero? ? '' : 'Error: failed to authenticate user')
  end

  # The commands that change the broker (everything but list_* and authenticate_user).
  def changes
    @calls.reject { |args, _| args.first.start_with?('list_') || args.first == 'authenticate_user' }
  end
end

RSpec.configure do |config|
  config.cookbook_path = CookbookPath.with('ipv6_common', 'ipv6_rabbitmq')
  config.log_level = :error
  config.platform = 'debian'
  config.version = '12'
end
