# frozen_string_literal: true

require 'fileutils'
require 'tmpdir'
require 'yaml'

# Site files for the specs. Recipes read the site from the file named by
# node['ipv6_edge']['site_file']; a spec writes the data it wants and points
# the attribute at it:
#
#   ChefSpec::SoloRunner.new { |node| node.default['ipv6_edge']['site_file'] = SiteFiles.write(data) }
module SiteFiles
  LAB = File.expand_path('../../../../site/lab.yml', __dir__)
  DIR = Dir.mktmpdir('site-files')
  at_exit { FileUtils.rm_rf(DIR) }

  module_function

  # The lab site as plain data (a new copy each call, safe to change).
  def lab
    YAML.safe_load(File.read(LAB))
  end

  # data written as YAML to a new file; returns its path.
  def write(data, name: 'site')
    @count = (@count || 0) + 1
    path = File.join(DIR, "#{name}-#{@count}.yml")
    File.write(path, data.is_a?(String) ? data : YAML.dump(data))
    path
  end
end
