require 'spec_helper'

describe 'ipv6_openstack_api_config' do
  step_into :ipv6_openstack_api_config
  platform 'debian', '12'

  NOVA_CONF = '/etc/nova/nova.conf'.freeze

  context 'with nova on the lab controller' do
    recipe do
      ipv6_openstack_api_config 'nova' do
        backend_port 8774
        my_ip '2001:db8:10::11'
        transport_url 'rabbit://openstack:not-in-logs@[2001:db8:10::11]:5672/%2Fopenstack'
        database_connections('database' => 'sqlite:////var/lib/nova/nova.sqlite',
                             'api_database' => 'sqlite:////var/lib/nova/nova_api.sqlite')
        memcache_servers ['inet6:[::1]:11211']
        auth_url 'https://keystone.lab.example.net:5000'
        service_password 'not-in-logs'
        service_urls('placement' => 'https://placement.lab.example.net:8778',
                     'glance' => 'https://glance.lab.example.net:9292')
        ca_file '/var/lib/v6lab/pki/ca.pem'
      end
    end

    it 'binds the bare ::1 on the backend port, in Nova\'s own option names' do
      expect(rendered_lines(NOVA_CONF)).to include('osapi_compute_listen = ::1', 'osapi_compute_listen_port = 8774',
                                                   'my_ip = 2001:db8:10::11')
      expect(rendered_lines(NOVA_CONF).grep(/0\.0\.0\.0|\[::1\]:8774/)).to be_empty
    end

    it 'writes the broker bracketed, both databases, and memcached in the backend\'s form' do
      expect(rendered_lines(NOVA_CONF)).to include(
        'transport_url = rabbit://openstack:not-in-logs@[2001:db8:10::11]:5672/%2Fopenstack',
        '[api_database]', 'connection = sqlite:////var/lib/nova/nova_api.sqlite',
        '[cache]', 'backend = oslo_cache.memcache_pool', 'memcache_servers = inet6:[::1]:11211',
        'memcached_servers = inet6:[::1]:11211'
      )
    end

    it 'points keystone_authtoken and the client sections at https names' do
      conf = rendered_lines(NOVA_CONF)
      expect(conf).to include('www_authenticate_uri = https://keystone.lab.example.net:5000',
                              'endpoint_override = https://placement.lab.example.net:8778',
                              'endpoint_override = https://glance.lab.example.net:9292',
                              'cafile = /var/lib/v6lab/pki/ca.pem', 'username = nova')
    end

    it 'checks the staged file against Nova\'s option definitions, with the bind and my_ip bare' do
      template = chef_run.template(NOVA_CONF)
      check = template.verifications.first.to_s
      expect(check).to start_with("/usr/bin/python3 #{Ipv6OpenstackApi::OSLO_CHECK} --namespace nova.conf ")
      expect(check).to end_with('--ipv6-address DEFAULT.osapi_compute_listen --ipv6-address DEFAULT.my_ip %{path}')
      expect(template.sensitive).to be(true)
      expect(template.mode).to eq('0640')
    end

    it 'installs the option definitions only, and starts nothing' do
      expect(chef_run).to install_package('python3-nova')
      expect(chef_run).not_to install_package('nova-api')
      expect(chef_run.find_resources(:service)).to be_empty
      expect(chef_run.template(NOVA_CONF)).not_to notify('service[nova-api]')
    end
  end

  context 'with glance, neutron and the Cinder API' do
    recipe do
      { 'glance' => 9292, 'neutron' => 9696, 'cinder' => 8776 }.each do |service, port|
        ipv6_openstack_api_config service do
          backend_port port
          auth_url 'https://keystone.lab.example.net:5000'
        end
      end
    end

    it 'binds each in its own option: bind_host for glance and neutron, osapi_volume_listen for cinder' do
      expect(rendered_lines('/etc/glance/glance-api.conf')).to include('bind_host = ::1', 'bind_port = 9292')
      expect(rendered_lines('/etc/neutron/neutron.conf')).to include('bind_host = ::1', 'bind_port = 9696',
                                                                      'core_plugin = ml2')
      expect(rendered_lines('/etc/cinder/cinder-api.conf')).to include('osapi_volume_listen = ::1',
                                                                        'osapi_volume_listen_port = 8776')
    end

    it 'leaves cinder.conf to ipv6_cinder and writes no [cache] where the service has no oslo.cache options' do
      expect(chef_run).not_to create_template('/etc/cinder/cinder.conf')
      expect(rendered_lines('/etc/glance/glance-api.conf')).not_to include('[cache]')
    end

    it 'checks glance with its bind only: it has no my_ip' do
      expect(chef_run.template('/etc/glance/glance-api.conf').verifications.first.to_s).to include(
        '--namespace glance.api --namespace glance.store', '--ipv6-address DEFAULT.bind_host %{path}'
      )
    end
  end

  context 'with an IPv4 wildcard bind' do
    recipe do
      ipv6_openstack_api_config 'glance' do
        backend_port 9292
        bind_address '0.0.0.0'
      end
    end

    it 'is refused, naming the property and the address' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /bind_address.*0\.0\.0\.0 is IPv4/)
    end
  end

  context 'with a bracketed my_ip' do
    recipe do
      ipv6_openstack_api_config 'nova' do
        backend_port 8774
        my_ip '[2001:db8:10::11]'
      end
    end

    it 'is refused with the bare form as the fix' do
      expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed,
                                         /my_ip.*not a bare IPv6 literal; write the host's first address in hosts.HOST.addresses, without brackets/)
    end
  end

  context 'with my_ip for a service that has none' do
    recipe do
      ipv6_openstack_api_config 'neutron' do
        backend_port 9696
        my_ip '2001:db8:10::11'
      end
    end

    it 'is refused: neutron would reject the option' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /\[neutron\] my_ip: neutron has no my_ip option/)
    end
  end

  context 'with an unbracketed IPv6 host in transport_url' do
    recipe do
      ipv6_openstack_api_config 'cinder' do
        backend_port 8776
        transport_url 'rabbit://openstack:secret@2001:db8::11:5672/openstack'
      end
    end

    it 'is refused without echoing the URL (it carries a password)' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /\[cinder\] transport_url: the host "2001:db8::11:5672" is not/) { |e|
        expect(e.message).not_to include('secret')
      }
    end
  end

  context 'with an IPv4 database host' do
    recipe do
      ipv6_openstack_api_config 'nova' do
        backend_port 8774
        database_connections('api_database' => 'mysql+pymysql://nova:pw@10.0.0.5/nova_api')
      end
    end

    it 'is refused, naming the section' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /database_connections\[api_database\]: the host "10.0.0.5" is not/)
    end
  end

  context 'with the pymemcache backend and the memcache_pool form' do
    recipe do
      ipv6_openstack_api_config 'glance' do
        backend_port 9292
        cache_backend 'dogpile.cache.pymemcache'
        memcache_servers ['inet6:[::1]:11211']
      end
    end

    it 'is refused with the form the backend parses' do
      expect { chef_run }.to raise_error(Ipv6Common::ConfigError, /memcache_servers: inet6:\[::1\]:11211 is not the form.*write \[::1\]:11211/)
    end
  end

  context 'with a client URL on an address' do
    recipe do
      ipv6_openstack_api_config 'nova' do
        backend_port 8774
        service_urls('placement' => 'https://[2001:db8:10::11]:8778')
      end
    end

    it 'is refused: the certificate is for the name' do
      expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, /service_urls.*not https on a DNS name/)
    end
  end

  context 'with an unknown service' do
    recipe do
      ipv6_openstack_api_config 'swift' do
        backend_port 8080
      end
    end

    it 'is refused, listing the services' do
      expect { chef_run }.to raise_error(Chef::Exceptions::ValidationFailed, /service.*glance.*nova.*neutron.*cinder/)
    end
  end
end
