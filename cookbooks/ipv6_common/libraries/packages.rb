# frozen_string_literal: true

module Ipv6Common
  # Whether a Debian package is installed, at the pinned version when there is
  # one, read from dpkg's database with one dpkg-query (a few milliseconds).
  # Chef's apt_package asks `apt-cache policy` for every package on every run,
  # about 1.3 s each with Debian's full package lists; guarding a package
  # resource with `not_if { Packages.installed?(name, version) }` keeps that
  # cost for the runs that have something to install. A package that is
  # missing, half-installed or at another version still goes to apt.
  module Packages
    DPKG_QUERY = '/usr/bin/dpkg-query'

    def self.installed?(name, version = nil)
      installed_from?(*query(name), version)
    end

    # The installed version of the package, or nil when it is not installed.
    def self.version(name)
      status, output = query(name)
      installed_from?(status, output) ? output.split("\t", 2).last.strip : nil
    end

    def self.query(name)
      require 'mixlib/shellout'
      query = Mixlib::ShellOut.new(DPKG_QUERY, '-W', '-f', "${db:Status-Abbrev}\t${Version}", name.to_s)
      query.run_command
      [query.exitstatus, query.stdout]
    end

    # The decision on dpkg-query's exit status and output (status abbreviation, tab, version).
    def self.installed_from?(status, output, version = nil)
      return false unless status.zero?

      abbrev, current = output.split("\t", 2)
      abbrev.to_s.strip == 'ii' && (version.nil? || current.to_s.strip == version.to_s)
    end
  end
end
