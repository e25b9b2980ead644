#!/usr/bin/env ruby
# frozen_string_literal: true

# Usage: ruby test/sites/site_problems.rb SITE.yml
# Prints the problems Ipv6Common::Site finds in SITE.yml as a JSON array of
# {"path", "code", "message"} ([] for a good site), so the Python loader's
# findings can be compared with the Ruby loader's.

require 'json'
require_relative '../../cookbooks/ipv6_common/libraries/site'

abort 'usage: site_problems.rb SITE.yml' unless ARGV.size == 1

puts JSON.generate(Ipv6Common::Site.file_problems(ARGV.first).map(&:to_h))
