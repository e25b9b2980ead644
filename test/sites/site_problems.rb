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

# The fast check's verdict next to json_schemer's, for data that is a mapping.
def verdicts(data)
  return {} unless data.is_a?(Hash)

  checker = Ipv6Common::Site::Checker
  { 'fast_valid' => checker.valid?(checker::COMPILED, data), 'library_valid' => checker.schemer.valid?(data) }
end

def judge(data = nil)
  site = yield
  { 'problems' => [], 'site' => site.data }.merge(verdicts(data))
rescue Ipv6Common::ConfigError => e
  { 'problems' => e.problems.map(&:to_h), 'site' => nil }.merge(verdicts(data))
end

abort 'usage: site_problems.rb SITE.yml... | --json < LINES' if ARGV.empty?

$stdout.sync = false
if ARGV == ['--json']
  $stdin.each_line do |line|
    data = JSON.parse(line)
    puts JSON.generate(judge(data) { Ipv6Common::Site.from_hash(data) })
  end
else
  ARGV.each { |path| puts JSON.generate(judge { Ipv6Common::Site.load_file(path) }) }
end
