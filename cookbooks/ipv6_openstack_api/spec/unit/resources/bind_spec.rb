require 'spec_helper'

describe 'ipv6_openstack_api_bind' do
  step_into :ipv6_openstack_api_bind
  platform 'debian', '12'

  KEYSTONE_CONF = '/etc/keystone/keystone.conf'.freeze
  PLACEMENT_CONF = '/etc/placement/placement.conf'.freeze

  context 'with keystone on its defaults and the memcache_pool form' do
    recipe do
      ipv6_openstack_api_bind 'keystone' do
        backend_port 5000
        processes 2
        database_connection 'sqlite:////var/lib/keystone/keystone.db'
        memcache_servers ['inet6:[::1]:11211']
        options('token' => { 'provider' => 'fernet' })
      end
    end

    it 'sets DAEMON_ARGS to the bracketed socket, which is IPv6 only, and our ini last' do
      expect(rendered_lines('/etc/default/keystone')).to include(
        'DAEMON_ARGS="--http-socket [::1]:5000 --ini /etc/keystone/ipv6-uwsgi.ini"'
      )
    end

    it 'runs the templated number of processes, without the AppArmor plugin or a socket in the ini' do
      ini = rendered_lines('/etc/keystone/ipv6-uwsgi.ini')
      expect(ini).to include('processes = 2', 'threads = 1', 'plugins = python3', 'wsgi-file = /usr/bin/keystone-wsgi-public')
      expect(ini.grep(/\A[^#].*(apparmor|socket)/)).to be_empty
    end

    it 'writes the cache in the form the backend parses, and the database' do
      conf = rendered_lines(KEYSTONE_CONF)
      expect(conf).to include('[cache]', 'backend = oslo_cache.memcache_pool', 'memcache_servers = inet6:[::1]:11211',
                              'enabled = true', 'connection = sqlite:////var/lib/keystone/keystone.db', 'provider = fernet')
    end

    it 'checks the staged file against Keystone\'s option definitions and keeps it from other users' do
      template = chef_run.template(KEYSTONE_CONF)
      expect(template.verifications.first.to_s).to eq(
        "/usr/bin/python3 #{Ipv6OpenstackApi::OSLO_CHECK} --namespace keystone --namespace oslo.cache " \
        '--namespace oslo.log --namespace oslo.middleware --namespace oslo.policy --namespace oslo.db ' \
        '--namespace osprofiler %{path}'
      )
      expect(template.sensitive).to be(true)
      expect(template.mode).to eq('0640')
    end

    it 'keeps the configuration directory the service\'s own, so keystone-manage can read it as keystone' do
      expect(chef_run).to create_directory('/etc/keystone').with(owner: 'keystone', group: 'keystone', mode: '0750')
    end

    it 'installs the package and starts the service; a changed file restarts it' do
      expect(chef_run).to install_package('keystone')
      expect(chef_run).to enable_service('keystone')
      expect(chef_run).to start_service('keystone')
      %W(#{KEYSTONE_CONF} /etc/keystone/ipv6-uwsgi.ini /etc/default/keystone).each do |path|
        expect(chef_run.template(path)).to notify('service[keystone]').to(:restart).delayed
      end
    end
  end

  context 'with a schema step, and the stamp of the installed package and the same database' do
    STAMP = '/etc/keystone/.schema-current'.freeze
    DB = 'sqlite:////var/lib/keystone/keystone.db'.freeze

    recipe do
      ipv6_openstack_api_bind 'keystone' do
        backend_port 5000
        database_connection DB
        memcache_servers ['inet6:[::1]:11211']
        db_sync 'keystone-manage db_sync'
        db_synced_if 'keystone-manage db_sync --check'
      end
    end

    let(:stamped_version) { '2:22.0.0-0+deb12u1' }

    before do
      stub_command('keystone-manage db_sync --check').and_return(false)
      allow(Ipv6Common::Packages).to receive(:version).with('keystone').and_return('2:22.0.0-0+deb12u1')
      allow(File).to receive(:exist?).and_call_original
      allow(File).to receive(:exist?).with(STAMP).and_return(true)
      allow(File).to receive(:read).and_call_original
      allow(File).to receive(:read).with(STAMP).and_return("#{Ipv6OpenstackApi.schema_stamp(stamped_version, DB)}\n")
    end

    it 'skips the schema check and db_sync' do
      expect(chef_run).not_to run_execute('keystone database schema')
      expect(chef_run).to create_file(STAMP).with(mode: '0600')
    end

    context 'when the stamp is of another package version' do
      let(:stamped_version) { '2:21.0.0-1' }

      it 'runs db_sync once the check fails' do
        expect(chef_run).to run_execute('keystone database schema').with(command: 'keystone-manage db_sync', user: 'keystone')
      end
    end

    it 'holds a digest of the database URL, never the URL' do
      expect(Ipv6OpenstackApi.schema_stamp('1', 'mysql+pymysql://keystone:secret@[2001:db8::5]/keystone'))
        .to match(/\A1 \h{64}\z/)
    end
  end

  context 'with placement behind Keystone, pymemcache and a bracketed transport URL' do
    recipe do
      ipv6_openstack_api_bind 'placement' do
        backend_port 8778
        auth_url 'https://keystone.lab.example.net:5000'
        service_password 'not-in-logs'
        cache_backend 'dogpile.cache.pymemcache'
        memcache_servers ['[::1]:11211']
        database_connection 'mysql+pymysql://placement:pw@[2001:db8::5]/placement'
        transport_url 'rabbit://openstack:pw@[2001:db8:10::11]:5672/openstack'
        my_ip '2001:db8:10::11'
        ca_file '/etc/pki/org-ca.pem'
      end
    end

    it 'gives the middleware a copy of the site CA bundle that the service can read' do
      expect(rendered_lines(PLACEMENT_CONF)).to include('cafile = /etc/placement/ca-bundle.pem')
      expect(chef_run).to create_file('/etc/placement/ca-bundle.pem').with(owner: 'root', group: 'placement', mode: '0644')
      expect(chef_run.file('/etc/placement/ca-bundle.pem')).to notify('service[placement-api]').to(:restart).delayed
    end

    it 'points keystone_authtoken at the https name, with the same memcached form' do
      conf = rendered_lines(PLACEMENT_CONF)
      expect(conf).to include('www_authenticate_uri = https://keystone.lab.example.net:5000',
                              'auth_url = https://keystone.lab.example.net:5000', 'memcached_servers = [::1]:11211',
                              'username = placement', 'project_name = service', 'auth_strategy = keystone')
    end

    it 'writes no [cache] section: Placement has no oslo.cache options' do
      expect(rendered_lines(PLACEMENT_CONF)).not_to include('[cache]')
    end

    it 'writes the database in [placement_database], URLs bracketed, my_ip bare' do
      conf = rendered_lines(PLACEMENT_CONF)
      expect(conf).to include('[placement_database]', 'connection = mysql+pymysql://placement:pw@[2001:db8::5]/placement',
                              'transport_url = rabbit://openstack:pw@[2001:db8:10::11]:5672/openstack',
                              'my_ip = 2001:db8:10::11')
    end

    it 'replaces the init script\'s wildcard :8778' do
      expect(rendered_lines('/etc/default/placement-api')).to include(
        'DAEMON_ARGS="--http-socket [::1]:8778 --ini /etc/placement/ipv6-uwsgi.ini"'
      )
    end
  end

  context 'with the pymemcache backend and the memcache_pool form' do
    recipe do
      ipv6_openstack_api_bind 'keystone' do
        backend_port 5000
        cache_backend 'dogpile.cache.pymemcache'
        memcache_servers ['inet6:[::1]:11211']
      end
    end

    it 'is refused, naming the servers, what the mismatch does and the form to write' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError,
                                         /memcache_servers: inet6:\[::1\]:11211 is not the form dogpile.cache.pymemcache.*HTTP 500.*write \[::1\]:11211/)
    end
  end

  context 'with the memcache_pool backend and a bare ::1:11211' do
    recipe do
      ipv6_openstack_api_bind 'keystone' do
        backend_port 5000
        memcache_servers ['::1:11211']
      end
    end

    it 'is refused with the inet6 form as the fix' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /::1:11211 is not the form.*write inet6:\[::1\]:11211/)
    end
  end

  context 'with an IPv4 bind address' do
    recipe do
      ipv6_openstack_api_bind 'keystone' do
        backend_port 5000
        bind_address '0.0.0.0'
      end
    end

    it 'is refused, naming the address' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /bind_address.*0\.0\.0\.0 is IPv4/)
    end
  end

  context 'with an unbracketed IPv6 host in transport_url' do
    recipe do
      ipv6_openstack_api_bind 'placement' do
        backend_port 8778
        transport_url 'rabbit://openstack:secret@2001:db8::11:5672/openstack'
      end
    end

    it 'is refused without echoing the URL (it carries a password)' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /transport_url: the host "2001:db8::11:5672" is not/) { |e|
        expect(e.message).not_to include('secret')
      }
    end
  end

  context 'with an IPv4 database host' do
    recipe do
      ipv6_openstack_api_bind 'keystone' do
        backend_port 5000
        database_connection 'mysql+pymysql://keystone:pw@10.0.0.5/keystone'
      end
    end

    it 'is refused' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /database_connection: the host "10.0.0.5" is not/)
    end
  end

  context 'with auth_url on an address' do
    recipe do
      ipv6_openstack_api_bind 'placement' do
        backend_port 8778
        auth_url 'https://[2001:db8:10::11]:5000'
      end
    end

    it 'is refused: the certificate is for the name' do
      expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, /auth_url.*not an https URL with a DNS name/)
    end
  end

  context 'with auth_url over http' do
    recipe do
      ipv6_openstack_api_bind 'placement' do
        backend_port 8778
        auth_url 'http://keystone.lab.example.net:5000'
      end
    end

    it 'is refused' do
      expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, /auth_url.*not an https URL/)
    end
  end

  context 'with a bracketed my_ip' do
    recipe do
      ipv6_openstack_api_bind 'placement' do
        backend_port 8778
        my_ip '[2001:db8::11]'
      end
    end

    it 'is refused: oslo my_ip rejects brackets' do
      expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, /my_ip.*not a bare IPv6 literal/)
    end
  end

  context 'with an unknown service' do
    recipe do
      ipv6_openstack_api_bind 'swift' do
        backend_port 8080
      end
    end

    it 'is refused, listing the services' do
      expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, /service.*keystone.*placement/)
    end
  end
end
