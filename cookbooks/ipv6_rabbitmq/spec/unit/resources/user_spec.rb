require 'spec_helper'

describe 'ipv6_rabbitmq_user' do
  step_into :ipv6_rabbitmq_user, :ipv6_rabbitmq_vhost, :ipv6_rabbitmq_permissions
  platform 'debian', '12'

  let(:broker) { FakeBroker.new }
  # The fake is taken here: the reads run in threads, and a `let` taken first from a thread waits for the
  # example's own evaluation of chef_run.
  before do
    fake = broker
    allow(Ipv6Rabbitmq::Ctl).to receive(:run) { |*args, input: nil| fake.run(*args, input: input) }
  end

  recipe do
    ipv6_rabbitmq_vhost '/openstack'
    ipv6_rabbitmq_user 'openstack' do
      password 'right-password'
    end
    ipv6_rabbitmq_permissions 'openstack on /openstack' do
      user 'openstack'
      vhost '/openstack'
    end
    ipv6_rabbitmq_user 'guest' do
      action :delete
    end
  end

  context 'with an empty broker but for guest' do
    let(:broker) { FakeBroker.new(users: { 'guest' => ['guest', ['administrator']] }) }

    it 'creates the vhost and the user, grants it the vhost, removes guest' do
      chef_run
      expect(broker.changes.map(&:first)).to eq([
                                                  %w(add_vhost /openstack), %w(add_user openstack), %w(set_user_tags openstack),
                                                  ['set_permissions', '-p', '/openstack', 'openstack', '.*', '.*', '.*'], %w(delete_user guest)
                                                ])
    end

    it 'passes the password on stdin only, never in argv' do
      chef_run
      add = broker.calls.find { |args, _| args.first == 'add_user' }
      expect(add.last).to eq('right-password')
      expect(broker.calls.map(&:first).flatten).not_to include('right-password')
    end
  end

  context 'with everything already as declared' do
    let(:broker) do
      FakeBroker.new(users: { 'openstack' => ['right-password', []] }, vhosts: ['/', '/openstack'],
                     permissions: { %w(openstack /openstack) => ['.*', '.*', '.*'] })
    end

    it 'changes nothing (a second converge updates no resource)' do
      chef_run
      expect(broker.changes).to be_empty
      [[:ipv6_rabbitmq_user, 'openstack'], [:ipv6_rabbitmq_user, 'guest'], [:ipv6_rabbitmq_vhost, '/openstack'],
       [:ipv6_rabbitmq_permissions, 'openstack on /openstack']].each do |type, name|
        expect(chef_run.find_resource(type, name)).not_to be_updated
      end
    end
  end

  context 'with another password and narrower permissions on the broker' do
    let(:broker) do
      FakeBroker.new(users: { 'openstack' => ['old-password', []] }, vhosts: ['/', '/openstack'],
                     permissions: { %w(openstack /openstack) => ['', '.*', '.*'] })
    end

    it 'changes the password on stdin and resets the permissions' do
      chef_run
      expect(broker.changes).to eq([
                                     [%w(change_password openstack), 'right-password'],
                                     [['set_permissions', '-p', '/openstack', 'openstack', '.*', '.*', '.*'], nil],
                                   ])
    end
  end

  context 'with a password of two lines' do
    recipe do
      ipv6_rabbitmq_user 'openstack' do
        password "alpha7\nbeta7"
      end
    end

    it 'refuses it without showing it' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError) { |e|
        expect(e.message).to include('password')
        expect(e.message).not_to include('alpha7')
      }
    end
  end
end
