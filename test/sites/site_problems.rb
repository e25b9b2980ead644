#!/usr/bin/env ruby
# frozen_string_literal: true

# Usage: ruby test/sites/site_problems.rb SITE.yml...
#        ruby test/sites/site_problems.rb --json < one JSON document per line
# For each site file (or each JSON document on stdin), prints one JSON line:
# {"problems": [{"path", "code", "message"}...], "site": <normalised site or null>},
# so that the Python loader's findings and normalised site can be compared
# with Ipv6Common::Site's, all sites in one process.

require 'json'
require_relative '../../cookbooks/ipv6_common/libraries/site'

def judge
  site = yield
  { 'problems' => [], 'site' => site.data }
rescue Ipv6Common::ConfigError => e
  { 'problems' => e.problems.map(&:to_h), 'site' => nil }
end

abort 'usage: site_problems.rb SITE.yml... | --json < LINES' if ARGV.empty?

$stdout.sync = false
if ARGV == ['--json']
  $stdin.each_line { |line| puts JSON.generate(judge { Ipv6Common::Site.from_hash(JSON.parse(line)) }) }
else
  ARGV.each { |path| puts JSON.generate(judge { Ipv6Common::Site.load_file(path) }) }
end
