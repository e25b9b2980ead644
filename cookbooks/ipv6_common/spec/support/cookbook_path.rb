# frozen_string_literal: true

require 'fileutils'
require 'tmpdir'

# A cookbook path holding only the named cookbooks of this repository, so a
# cookbook's specs do not depend on the state of the others (the directory
# name must contain "cookbook" for ChefSpec to use it as is).
module CookbookPath
  ROOT = File.expand_path('../../..', __dir__)

  def self.with(*names)
    dir = Dir.mktmpdir('cookbooks')
    names.each { |name| File.symlink(File.join(ROOT, name), File.join(dir, name)) }
    at_exit { FileUtils.rm_rf(dir) }
    dir
  end
end
