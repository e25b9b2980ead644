# frozen_string_literal: true

describe Ipv6Common::Site do
  let(:lab_file) { File.expand_path('../../../../../site/lab.yml', __dir__) }

  # A small valid site touching every section of site/SCHEMA.md.
  def good
    {
      'name' => 'lab',
      'dns' => { 'zone' => 'lab.example.net', 'server' => 'dns1', 'ttl' => 300 },
      'pki' => { 'ca_bundle' => '/pki/ca.pem', 'expiry_window_days' => 30 },
      'hosts' => {
        'dns1' => { 'fqdn' => 'dns1.lab.example.net', 'roles' => ['dns'], 'addresses' => ['2001:db8:10::53'] },
        'ctl1' => { 'fqdn' => 'ctl1.lab.example.net', 'roles' => %w(controller ops), 'addresses' => ['2001:DB8:10::11'] },
      },
      'endpoints' => {
        'keystone' => { 'host' => 'ctl1', 'fqdn' => 'keystone.lab.example.net', 'port' => 5000, 'backend_port' => 5000,
                        'cert' => '/pki/keystone.crt', 'key' => '/pki/keystone.key' },
        'glance' => { 'host' => 'ctl1', 'fqdn' => 'glance.lab.example.net', 'port' => 9292, 'backend_port' => 9292,
                      'cert' => '/pki/glance.crt', 'key' => '/pki/glance.key' },
      },
      'services' => {
        'rabbitmq' => { 'host' => 'ctl1', 'users' => { 'openstack' => { 'password' => { 'file' => '/secrets/rabbit' } },
                                                       'nova' => { 'password' => { 'env' => 'NOVA_RABBIT_PW' } } } },
        'memcached' => { 'host' => 'ctl1', 'port' => 11_211 },
        'cinder' => { 'host' => 'ctl1', 'release' => 'zed', 'target_helper' => 'tgtadm' },
      },
    }
  end

  def problems_after
    data = good
    yield data
    described_class.problems(data).map { |p| [p.path, p.code] }
  end

  describe 'a valid site' do
    it 'has no problems' do
      expect(described_class.problems(good)).to eq([])
    end

    it 'loads site/lab.yml' do
      expect(described_class.load_file(lab_file).name).to eq('lab')
    end

    it 'accepts symbol keys and no endpoints' do
      data = good.transform_keys(&:to_sym)
      data.delete(:endpoints)
      expect(described_class.from_hash(data).endpoints).to eq({})
    end
  end

  describe 'readers' do
    subject(:site) { described_class.from_hash(good) }

    it { expect([site.name, site.zone, site.dns_server, site.ttl]).to eq(['lab', 'lab.example.net', 'dns1', 300]) }
    it { expect([site.ca_bundle, site.expiry_window_days]).to eq(['/pki/ca.pem', 30]) }
    it { expect(site.hosts.keys).to eq(%w(dns1 ctl1)) }
    it { expect(site.host('ctl1')['addresses']).to eq(['2001:db8:10::11']) }
    it { expect(site.addresses('ctl1').map { |a| a.rabbitmq_listener(5672) }).to eq(['2001:db8:10::11:5672']) }
    it { expect(site.endpoints_on('ctl1').keys).to eq(%w(keystone glance)) }
    it { expect(site.endpoints_on('dns1')).to eq({}) }
    it { expect(site.service('rabbitmq')['port']).to eq(5672) }
    it { expect(site.service('cinder')['target_port']).to eq(3260) }

    it 'applies the defaults of optional keys' do
      data = good
      data['dns'].delete('ttl')
      data['pki'].delete('expiry_window_days')
      site = described_class.from_hash(data)
      expect([site.ttl, site.expiry_window_days]).to eq([300, 30])
    end

    it 'applies the policy, TLS, PKI policy and package defaults' do
      expect(site.policy).to eq('ipv4_loopback' => 'allow', 'allowed_listeners' => [], 'preflight' => true)
      expect(site.tls).to include('min_version' => 'TLSv1.2', 'hsts' => true, 'hsts_max_age' => 63_072_000,
                                  'ciphersuites' => 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256')
      expect(site.tls['ciphers'].split(':')).to include('ECDHE-RSA-AES128-GCM-SHA256')
      expect(site.pki_policy).to eq('min_rsa_bits' => 2048, 'min_ec_bits' => 256, 'signature_hashes' => %w(sha256 sha384 sha512),
                                    'max_validity_days' => 398, 'require_server_auth' => true)
      expect(site.packages).to eq({})
    end

    it 'keeps the values a site sets next to the defaults' do
      data = good
      data['policy'] = { 'ipv4_loopback' => 'forbid',
                         'allowed_listeners' => [{ 'host' => 'ctl1', 'port' => 22, 'process' => 'sshd', 'reason' => 'jump host' }] }
      data['tls'] = { 'min_version' => 'TLSv1.3', 'hsts' => false }
      data['pki']['policy'] = { 'min_rsa_bits' => 3072 }
      data['packages'] = { 'haproxy' => '2.6.12-1+deb12u1' }
      site = described_class.from_hash(data)
      expect([site.policy['ipv4_loopback'], site.policy['preflight'], site.policy['allowed_listeners'].size]).to eq(['forbid', true, 1])
      expect([site.tls['min_version'], site.tls['hsts'], site.tls['hsts_max_age']]).to eq(['TLSv1.3', false, 63_072_000])
      expect([site.pki_policy['min_rsa_bits'], site.pki_policy['min_ec_bits']]).to eq([3072, 256])
      expect(site.packages).to eq('haproxy' => '2.6.12-1+deb12u1')
    end

    it 'names an unknown host key' do
      expect { site.host('ctl9') }.to raise_error(Ipv6Common::ConfigError, /\Ahosts\.ctl9: no host ctl9/) { |e|
        expect(e.problems.first.code).to eq('unknown_host')
      }
    end

    it 'names a service the site does not describe' do
      data = good
      data.delete('services')
      expect { described_class.from_hash(data).service('memcached') }.to raise_error(Ipv6Common::ConfigError, /services\.memcached/)
    end
  end

  describe 'problems' do
    compute_host = { 'fqdn' => 'cmp1.lab.example.net', 'roles' => ['compute'], 'addresses' => ['2001:db8:10::21'] }

    {
      'a missing top-level key' => [->(d) { d.delete('pki') }, 'pki', 'missing'],
      'a missing nested key' => [->(d) { d['hosts']['ctl1'].delete('fqdn') }, 'hosts.ctl1.fqdn', 'missing'],
      'a null required key' => [->(d) { d['dns']['zone'] = nil }, 'dns.zone', 'type'],
      'a null optional key' => [->(d) { d['endpoints'] = nil }, 'endpoints', 'type'],
      'a dns server whose roles are not a list' => [->(d) { d['hosts']['dns1']['roles'] = 'dns' }, 'hosts.dns1.roles', 'type'],
      'an unknown top-level key' => [->(d) { d['hostz'] = {} }, 'hostz', 'unknown_key'],
      'a typo in a host key' => [->(d) { d['hosts']['ctl1']['adresses'] = [] }, 'hosts.ctl1.adresses', 'unknown_key'],
      'an unknown service' => [->(d) { d['services']['redis'] = { 'host' => 'ctl1' } }, 'services.redis', 'unknown_key'],
      'an unknown service key' => [->(d) { d['services']['memcached']['listen'] = 'x' }, 'services.memcached.listen', 'unknown_key'],
      'a string where a list is expected' => [->(d) { d['hosts']['ctl1']['roles'] = 'controller' }, 'hosts.ctl1.roles', 'type'],
      'a list where a mapping is expected' => [->(d) { d['dns'] = [] }, 'dns', 'type'],
      'a string port' => [->(d) { d['endpoints']['keystone']['port'] = '5000' }, 'endpoints.keystone.port', 'type'],
      'a boolean ttl' => [->(d) { d['dns']['ttl'] = true }, 'dns.ttl', 'type'],
      'an integer name' => [->(d) { d['name'] = 7 }, 'name', 'type'],
      'an integer address' => [->(d) { d['hosts']['ctl1']['addresses'] = [7] }, 'hosts.ctl1.addresses[0]', 'type'],
      'a host that is not a mapping' => [->(d) { d['hosts']['ctl1'] = 'x' }, 'hosts.ctl1', 'type'],
      'an empty address list' => [->(d) { d['hosts']['ctl1']['addresses'] = [] }, 'hosts.ctl1.addresses', 'empty'],
      'an empty role list' => [->(d) { d['hosts']['ctl1']['roles'] = [] }, 'hosts.ctl1.roles', 'empty'],
      'an upper-case site name' => [->(d) { d['name'] = 'Lab' }, 'name', 'bad_name'],
      'a host key with an underscore' => [->(d) { d['hosts']['cmp_1'] = compute_host }, 'hosts.cmp_1', 'bad_name'],
      'an endpoint key starting with -' => [->(d) { d['endpoints']['-x'] = d['endpoints'].delete('glance') }, 'endpoints.-x', 'bad_name'],
      'a zone with a trailing dot' => [->(d) { d['dns']['zone'] = 'lab.example.net.' }, 'dns.zone', 'bad_name'],
      'an upper-case fqdn' => [->(d) { d['hosts']['ctl1']['fqdn'] = 'CTL1.lab.example.net' }, 'hosts.ctl1.fqdn', 'bad_name'],
      'a host outside the zone' => [->(d) { d['hosts']['ctl1']['fqdn'] = 'ctl1.other.net' }, 'hosts.ctl1.fqdn', 'out_of_zone'],
      'an fqdn equal to the zone' => [->(d) { d['hosts']['ctl1']['fqdn'] = 'lab.example.net' }, 'hosts.ctl1.fqdn', 'out_of_zone'],
      'an endpoint outside the zone' => [->(d) { d['endpoints']['glance']['fqdn'] = 'glance.example.org' }, 'endpoints.glance.fqdn', 'out_of_zone'],
      'an unknown role' => [->(d) { d['hosts']['ctl1']['roles'] << 'web' }, 'hosts.ctl1.roles[2]', 'bad_role'],
      'a relative CA bundle' => [->(d) { d['pki']['ca_bundle'] = 'pki/ca.pem' }, 'pki.ca_bundle', 'not_absolute'],
      'a relative key path' => [->(d) { d['endpoints']['glance']['key'] = 'glance.key' }, 'endpoints.glance.key', 'not_absolute'],
      'a ttl of 0' => [->(d) { d['dns']['ttl'] = 0 }, 'dns.ttl', 'out_of_range'],
      'a window of 3651 days' => [->(d) { d['pki']['expiry_window_days'] = 3651 }, 'pki.expiry_window_days', 'out_of_range'],
      'port 65536' => [->(d) { d['endpoints']['keystone']['backend_port'] = 65_536 }, 'endpoints.keystone.backend_port', 'out_of_range'],
      'a memcached port of 0' => [->(d) { d['services']['memcached']['port'] = 0 }, 'services.memcached.port', 'out_of_range'],
      'an endpoint on an unknown host' => [->(d) { d['endpoints']['glance']['host'] = 'ctl9' }, 'endpoints.glance.host', 'unknown_host'],
      'a service on an unknown host' => [->(d) { d['services']['cinder']['host'] = 'cmp1' }, 'services.cinder.host', 'unknown_host'],
      'an unknown dns server' => [->(d) { d['dns']['server'] = 'ns9' }, 'dns.server', 'unknown_host'],
      'a dns server without the dns role' => [->(d) { d['dns']['server'] = 'ctl1' }, 'dns.server', 'not_dns_host'],
      'two endpoints on one port' => [->(d) { d['endpoints']['glance']['port'] = 5000 }, 'endpoints.glance.port', 'port_conflict'],
      'an address used twice' => [->(d) { d['hosts']['ctl1']['addresses'] = ['2001:db8:10:0::53'] }, 'hosts.ctl1.addresses[0]', 'duplicate_address'],
      'an inline password' => [->(d) { d['services']['rabbitmq']['users']['openstack']['password'] = 's3cret' },
                               'services.rabbitmq.users.openstack.password', 'inline_secret'],
      'a relative secret file' => [->(d) { d['services']['rabbitmq']['users']['openstack']['password'] = { 'file' => 'rabbit' } },
                                   'services.rabbitmq.users.openstack.password', 'bad_secret_ref'],
      'a lower-case env name' => [->(d) { d['services']['rabbitmq']['users']['nova']['password'] = { 'env' => 'pw' } },
                                  'services.rabbitmq.users.nova.password', 'bad_secret_ref'],
      'a reference with two keys' => [->(d) { d['services']['rabbitmq']['users']['nova']['password'] = { 'env' => 'PW', 'file' => '/x' } },
                                      'services.rabbitmq.users.nova.password', 'bad_secret_ref'],
      'an unknown release' => [->(d) { d['services']['cinder']['release'] = 'havana' }, 'services.cinder.release', 'bad_choice'],
      'an unknown target helper' => [->(d) { d['services']['cinder']['target_helper'] = 'iscsi' }, 'services.cinder.target_helper', 'bad_choice'],
      'an IPv4 address' => [->(d) { d['hosts']['ctl1']['addresses'] = ['10.0.0.5'] }, 'hosts.ctl1.addresses[0]', 'ipv4'],
      'an IPv4-mapped address' => [->(d) { d['hosts']['ctl1']['addresses'] = ['::ffff:10.0.0.5'] }, 'hosts.ctl1.addresses[0]', 'ipv4_mapped'],
      'the unspecified address' => [->(d) { d['hosts']['ctl1']['addresses'] = ['::'] }, 'hosts.ctl1.addresses[0]', 'unspecified'],
      'loopback' => [->(d) { d['hosts']['ctl1']['addresses'] = ['::1'] }, 'hosts.ctl1.addresses[0]', 'loopback'],
      'a link-local address' => [->(d) { d['hosts']['ctl1']['addresses'] = ['fe80::11'] }, 'hosts.ctl1.addresses[0]', 'link_local'],
      'a multicast address' => [->(d) { d['hosts']['ctl1']['addresses'] = ['ff02::1'] }, 'hosts.ctl1.addresses[0]', 'multicast'],
      'a bracketed address' => [->(d) { d['hosts']['ctl1']['addresses'] = ['[2001:db8:10::11]'] }, 'hosts.ctl1.addresses[0]', 'bracketed'],
      'an unknown ipv4_loopback policy' => [->(d) { d['policy'] = { 'ipv4_loopback' => 'deny' } }, 'policy.ipv4_loopback', 'bad_choice'],
      'a string preflight' => [->(d) { d['policy'] = { 'preflight' => 'no' } }, 'policy.preflight', 'type'],
      'a listener without a reason' => [->(d) { d['policy'] = { 'allowed_listeners' => [{ 'host' => 'ctl1', 'port' => 22, 'process' => 'sshd' }] } },
                                        'policy.allowed_listeners[0].reason', 'missing'],
      'a listener on an IPv4 address' => [->(d) {
        d['policy'] = { 'allowed_listeners' => [{ 'host' => 'ctl1', 'port' => 22, 'process' => 'sshd', 'reason' => 'x', 'address' => '10.0.0.1' }] }
      }, 'policy.allowed_listeners[0].address', 'ipv4'],
      'TLS 1.1' => [->(d) { d['tls'] = { 'min_version' => 'TLSv1.1' } }, 'tls.min_version', 'bad_choice'],
      'an HSTS max-age of 0' => [->(d) { d['tls'] = { 'hsts_max_age' => 0 } }, 'tls.hsts_max_age', 'out_of_range'],
      'a 512-bit RSA minimum' => [->(d) { d['pki']['policy'] = { 'min_rsa_bits' => 512 } }, 'pki.policy.min_rsa_bits', 'out_of_range'],
      'an unknown signature hash' => [->(d) { d['pki']['policy'] = { 'signature_hashes' => ['md5'] } }, 'pki.policy.signature_hashes[0]', 'bad_choice'],
      'a package version read as a number' => [->(d) { d['packages'] = { 'haproxy' => 2.6 } }, 'packages.haproxy', 'type'],
      'an address with a prefix' => [->(d) { d['hosts']['ctl1']['addresses'] = ['2001:db8:10::11/64'] }, 'hosts.ctl1.addresses[0]', 'not_an_address'],
    }.each do |input, (change, path, code)|
      context "with #{input}" do
        it "reports #{code} at #{path} and nothing else" do
          expect(problems_after(&change)).to eq([[path, code]])
        end
      end
    end

    it 'reports every problem, in file order' do
      found = problems_after do |d|
        d['name'] = 'Lab'
        d['hosts']['ctl1']['addresses'] = ['10.0.0.5', 'fe80::1']
        d['endpoints']['glance']['port'] = 5000
      end
      expect(found).to eq([%w(name bad_name), ['hosts.ctl1.addresses[0]', 'ipv4'], ['hosts.ctl1.addresses[1]', 'link_local'],
                           ['endpoints.glance.port', 'port_conflict']])
    end

    it 'does not judge host references when hosts is not a mapping' do
      expect(problems_after { |d| d['hosts'] = ['dns1'] }).to eq([%w(hosts type)])
    end

    it 'reports no hosts, and each reference to a host it lacks' do
      found = problems_after { |d| d['hosts'] = {} }
      expect(found).to include(%w(hosts empty), ['dns.server', 'unknown_host'], ['endpoints.glance.host', 'unknown_host'])
    end

    it 'does not descend into a value of the wrong type' do
      expect(problems_after { |d| d['hosts']['ctl1']['addresses'] = { 'a' => '10.0.0.1' } }).to eq([['hosts.ctl1.addresses', 'type']])
    end

    it 'shapes messages as "<path>: <found>; <fix>"' do
      data = good
      data['hosts']['ctl1']['addresses'] = ['10.0.0.5']
      expect(described_class.problems(data).first.message)
        .to eq("hosts.ctl1.addresses[0]: 10.0.0.5 is IPv4; this site is IPv6-only, use the host's global IPv6 address")
    end

    it 'never repeats an inline secret' do
      data = good
      data['services']['rabbitmq']['users']['openstack']['password'] = 's3cret'
      data['services']['rabbitmq']['users']['nova'] = 's3cret'
      expect(described_class.problems(data).map(&:message).join).not_to include('s3cret')
    end

    it 'raises ConfigError with every problem from from_hash' do
      data = good
      data['name'] = 'Lab'
      data['dns']['ttl'] = 0
      expect { described_class.from_hash(data) }.to raise_error(Ipv6Common::ConfigError, /\Aname: .*\ndns\.ttl: /) { |e|
        expect(e.problems.size).to eq(2)
      }
    end
  end

  describe 'files' do
    let(:head) { "name: solo\ndns: {zone: solo.example.net, server: box1}\npki: {ca_bundle: /ca.pem}\n" }

    def problems_in(text, name: 'site.yml', binary: false)
      Dir.mktmpdir do |dir|
        path = File.join(dir, name)
        binary ? File.binwrite(path, text) : File.write(path, text)
        described_class.file_problems(path).map { |p| [p.path, p.code, p.message.sub(dir, 'DIR')] }
      end
    end

    def host_line(addresses)
      "hosts:\n  box1: {fqdn: box1.solo.example.net, roles: [dns], addresses: #{addresses}}\n"
    end

    it { expect(problems_in(File.read(lab_file))).to eq([]) }

    {
      'a YAML syntax error' => ["name: [unclosed\n", /is not valid YAML at line 1, column 7 \(did not find expected ',' or '\]'/],
      'a key indented under a scalar' => ["name: solo\n dns: 1\n", /at line 2, column 5 \(mapping values are not allowed/],
      'a list' => ["- a list\n", /holds a list, not a mapping/],
      'an empty file' => ['', /holds nothing; write the site as a YAML mapping/],
      'a null document' => ["~\n", /holds nothing, not a mapping/],
      'a second document' => ["name: solo\n---\nname: other\n", /second YAML document at line 2, column 1/],
      'an alias' => ["a: &x 1\nb: *x\n", /uses a YAML alias at line 2, column 4/],
      'a merge key' => ["a:\n  <<: {b: 1}\n", /uses a YAML merge key/],
      'a tag' => ["a: !!binary aGk=\n", /uses the YAML tag tag:yaml.org,2002:binary/],
      'a control character' => ["name: a\u0001b\n", /control character U\+0001 at line 1, column 8/],
    }.each do |input, (text, message)|
      it "reports #{input} as one not_yaml problem with its place" do
        found = problems_in(text)
        expect(found.map { |p| p[0..1] }).to eq([['.', 'not_yaml']])
        expect(found[0][2]).to match(message)
      end
    end

    it 'reports a duplicated key with both lines' do
      text = "#{head}#{host_line("['2001:db8:20::1']")}  box1: {fqdn: b.solo.example.net, roles: [dns], addresses: ['2001:db8:20::2']}\n"
      expect(problems_in(text)).to eq([['hosts.box1', 'duplicate_key',
                                        'hosts.box1: the key box1 is written twice (line 6, column 3; first at line 5); ' \
                                        'keep one of them, YAML would silently keep only the second']])
    end

    it 'reports non-UTF-8 text as unreadable, with the offset' do
      expect(problems_in("name: caf\xE9\n".b, binary: true))
        .to eq([['.', 'unreadable', '.: DIR/site.yml is not UTF-8 text (invalid byte at offset 9); save it as UTF-8']])
    end

    it 'reports a missing file and a directory as unreadable' do
      expect(described_class.file_problems('/nonexistent/site.yml').map(&:message))
        .to eq(['.: /nonexistent/site.yml does not exist; check the path, or create the site file (see site/SCHEMA.md)'])
      Dir.mktmpdir do |dir|
        expect(described_class.file_problems(dir).map(&:code)).to eq(['unreadable'])
        expect(described_class.file_problems(dir).first.message).to include('is a directory')
      end
    end

    it 'raises ConfigError from load_file for a missing file' do
      expect { described_class.load_file('/nonexistent/site.yml') }.to raise_error(Ipv6Common::ConfigError, %r{/nonexistent/site\.yml})
    end

    %w(2001 1e3 20:13 0x20).each do |number|
      it "asks to quote an address YAML reads as a number (#{number})" do
        found = problems_in(head + host_line("[#{number}]"))
        expect(found.map { |p| p[0..1] }).to eq([['hosts.box1.addresses[0]', 'type']])
        expect(found[0][2]).to include('quote it')
      end
    end

    it 'refuses an alias bomb at once' do
      levels = ('a'..'i').to_a
      text = "a: &a [#{(['lol'] * 9).join(', ')}]\n" +
             levels.each_cons(2).map { |prev, name| "#{name}: &#{name} [#{(["*#{prev}"] * 9).join(', ')}]\n" }.join
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      found = problems_in(text)
      expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).to be < 0.5
      expect(found.map { |p| p[1] }).to eq(['not_yaml'])
      expect(found[0][2]).to include('uses a YAML alias at line 2, column 8')
    end

    it 'reads booleans, nulls and dates as PyYAML does (dates stay strings)' do
      expect(Ipv6Common::Site::Yaml.load("a: [yes, Off, ~, '', 012, 0x1f, 1_000, 1.5, 2024-01-01, .inf]\n", 'x'))
        .to eq('a' => [true, false, nil, '', 10, 31, 1000, 1.5, '2024-01-01', Float::INFINITY])
    end
  end

  describe 'property helpers' do
    it { expect(described_class.dns_name('a.example.net', path: 'fqdn')).to eq('a.example.net') }
    it { expect { described_class.dns_name('a..net', path: 'fqdn') }.to raise_error(Ipv6Common::ConfigError, /\Afqdn: "a\.\.net"/) }
    it { expect(described_class.absolute_path('/a', path: 'cert')).to eq('/a') }
    it { expect { described_class.absolute_path('a.crt', path: 'cert') }.to raise_error(Ipv6Common::ConfigError, /\Acert: "a\.crt"/) }
  end
end
