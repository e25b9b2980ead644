require 'spec_helper'

describe Ipv6Cinder::Conf do
  it 'brackets an IPv6 literal in the database URL and percent-encodes the password' do
    expect(described_class.database_url(host: '2001:DB8:10::11', user: 'cinder', password: 'p@ss w/rd', name: 'cinder'))
      .to eq('mysql+pymysql://cinder:p%40ss%20w%2Frd@[2001:db8:10::11]/cinder')
  end

  it 'keeps a DNS name in the Glance URL' do
    expect(described_class.glance_url('glance.lab.example.net', 9292)).to eq('https://glance.lab.example.net:9292')
  end

  it 'refuses an IPv4 host, naming the key' do
    expect { described_class.glance_url('192.0.2.10', 9292) }
      .to raise_error(Ipv6Common::ConfigError, /glance_api_servers\.host: 192\.0\.2\.10 is IPv4/)
  end

  it 'refuses a bracketed literal: brackets are added here' do
    expect { described_class.database_url(host: '[2001:db8::11]', user: 'c', password: 'p', name: 'c') }
      .to raise_error(Ipv6Common::ConfigError, /database\.host: \[2001:db8::11\] is bracketed/)
  end
end
