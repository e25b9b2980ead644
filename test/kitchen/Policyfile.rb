# Kitchen's policy: the estate's roles as Policyfile.rb names them, each preceded by the
# fixture that installs what a real estate provides (PKI files, secrets). The run lists are
# read from the committed Policyfile.lock.json, so the users' roles stay the single source.
require 'json'

name 'ipv6_edge_kitchen'

default_source :chef_repo, '../../cookbooks'

estate = JSON.parse(File.read(File.expand_path('../../Policyfile.lock.json', __dir__)))
estate['cookbook_locks'].each_key do |cookbook|
  cookbook cookbook, path: "../../cookbooks/#{cookbook}"
end
cookbook 'edge_fixture', path: '../cookbooks/edge_fixture'

recipes = ->(items) { items.map { |item| item.sub(/\Arecipe\[(.+)\]\z/, '\1') } }
run_list 'edge_fixture::default', *recipes.call(estate['run_list'])
estate['named_run_lists'].each do |role, items|
  named_run_list role.to_sym, 'edge_fixture::default', *recipes.call(items)
end
