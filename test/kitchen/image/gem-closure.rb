# frozen_string_literal: true

# Prints, one a line, the paths (relative to Gem.dir) of every installed gem that chef-bin at
# the version Gemfile.lock pins needs at run time: its directory, its gemspec and its built
# extensions. Run under `bundle exec` so that the pinned versions are the ones activated.
require 'bundler'

pinned = Bundler.locked_gems.specs.to_h { |spec| [spec.name, spec.version.to_s] }
seen = {}
todo = [['chef-bin', "= #{pinned.fetch('chef-bin')}"]]
until todo.empty?
  name, requirement = todo.shift
  version = pinned[name] ? "= #{pinned[name]}" : requirement
  spec = Gem::Specification.find_all_by_name(name, version).max_by(&:version)
  raise "gem #{name} #{version} is not installed; run bin/bootstrap" unless spec
  next if seen.key?(spec.full_name)

  seen[spec.full_name] = spec
  spec.runtime_dependencies.each { |dep| todo << [dep.name, dep.requirement.to_s] }
end

seen.each_value do |spec|
  next unless spec.base_dir == Gem.dir # Debian's own gems come from their packages in the image

  puts "gems/#{spec.full_name}", "specifications/#{spec.full_name}.gemspec"
  ext = "extensions/#{Gem::Platform.local}/#{Gem.extension_api_version}/#{spec.full_name}"
  puts ext if File.directory?(File.join(Gem.dir, ext))
end
