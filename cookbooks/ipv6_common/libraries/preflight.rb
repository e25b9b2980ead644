# frozen_string_literal: true

require 'ipaddr'
require 'resolv'
require_relative 'errors'

module Ipv6Common
  # Facts a host must show before an IPv6-only service is deployed on it:
  # its names resolve to its site addresses only, and those addresses are
  # configured. Each check returns a list of Problems; nothing is changed.
  module Preflight
    TENTATIVE = 0x40 # IFA_F_TENTATIVE: binding the address fails until DAD ends
    DADFAILED = 0x08 # IFA_F_DADFAILED

    # /etc/hosts lines mapping the fqdn or its short name to IPv4 (the Debian
    # installer's `127.0.1.1 host.example host` is the usual one). ipv6-lint: allow the IPv4 line this check finds
    def self.hosts_file_problems(path, fqdn)
      names = [fqdn.downcase, fqdn.downcase.split('.').first]
      lines = File.exist?(path) ? File.readlines(path) : [] # no file: no IPv4 line either
      lines.each_with_index.filter_map do |line, index|
        address, *aliases = line.sub(/#.*/, '').split
        next unless address && ipv4?(address) && aliases.any? { |a| names.include?(a.downcase) }

        where = "#{path}:#{index + 1}"
        Problem.new(where, 'hosts_ipv4', "#{where}: #{line.strip.inspect} maps #{fqdn} to IPv4 #{address}; " \
                                         "remove the line and map the name to its IPv6 address (#{fqdn} in DNS or in #{path})")
      end
    end

    # resolver answers #query(name, :a / :aaaa) with a Resolver::Answer.
    def self.dns_problems(resolver, fqdn, addresses)
      [a_problem(resolver.query(fqdn, :a), fqdn), aaaa_problem(resolver.query(fqdn, :aaaa), fqdn, addresses)].compact
    end

    def self.a_problem(answer, fqdn)
      return silent(answer, fqdn, 'A') if %i(timeout error).include?(answer.status)
      return if answer.records.empty?

      zone = fqdn.split('.', 2).last
      ttl = answer.ttl ? ", TTL #{answer.ttl} s" : ''
      Problem.new(fqdn, 'dns_a_record', "#{fqdn}: name server #{answer.server} returns A #{answer.records.join(', ')}#{ttl} " \
                                        '(an orphaned IPv4 record); ' \
                                        "delete the A record of #{fqdn} in zone #{zone} from DNS/IPAM (caches keep it up to the TTL)")
    end

    def self.aaaa_problem(answer, fqdn, addresses)
      return silent(answer, fqdn, 'AAAA') if %i(timeout error).include?(answer.status)

      missing = addresses - answer.records
      return if missing.empty?

      found = answer.records.empty? ? 'no AAAA record' : "AAAA #{answer.records.join(', ')}"
      Problem.new(fqdn, 'dns_aaaa_missing', "#{fqdn}: name server #{answer.server} returns #{found}, site expects #{addresses.join(', ')}; " \
                                            "add AAAA #{missing.join(', ')} for #{fqdn} in zone #{fqdn.split('.', 2).last}")
    end

    def self.silent(answer, fqdn, type)
      what = answer.status == :timeout ? 'could not be reached or did not answer' : 'answered with an error'
      Problem.new(fqdn, 'dns_unreachable', "#{fqdn}: name server #{answer.server} #{what} for type #{type}; " \
                                           'start the site DNS server (dns.server) and check it serves the zone')
    end

    # Site addresses absent from (or not usable on) the host's interfaces,
    # read from /proc/net/if_inet6 of the current network namespace. key is
    # the site key of the list (hosts.H.addresses), named in each problem.
    def self.interface_problems(path, addresses, key: 'addresses')
      configured = read_if_inet6(path)
      addresses.each_with_index.filter_map do |address, index|
        where = "#{key}[#{index}]"
        flags = configured[address]
        if flags.nil?
          Problem.new(where, 'address_not_configured', "#{where}: #{address} is not configured on any interface (#{path}); " \
                                                       "add it to the host (ip -6 addr add #{address}/64 dev IFACE nodad) " \
                                                       "or correct #{key} in the site file")
        elsif (flags & (TENTATIVE | DADFAILED)) != 0
          Problem.new(where, 'address_tentative', "#{where}: #{address} is tentative or failed duplicate address detection; " \
                                                  'wait for DAD to end, or re-add it with nodad')
        end
      end
    end

    # address => flags, from lines "20010db8...0011 02 40 00 80 eth0". No
    # file: the kernel has no IPv6 here, so no address is configured.
    def self.read_if_inet6(path)
      return {} unless File.exist?(path)

      File.readlines(path).to_h do |line|
        hex, _index, _prefix, _scope, flags = line.split
        [IPAddr.new(hex.scan(/.{4}/).join(':')).to_s, flags.to_i(16)]
      end
    end

    def self.ipv4?(address)
      Resolv::IPv4::Regex.match?(address) || (Resolv::IPv6::Regex.match?(address) && IPAddr.new(address).ipv4_mapped?)
    end
    private_class_method :a_problem, :aaaa_problem, :silent, :read_if_inet6, :ipv4?
  end
end
