# Where the kitchen provisioner uploads its data (data_path): the files test/kitchen/fixture
# generated on the host side, listed in manifest.json.
default['edge_fixture']['data_dir'] = '/tmp/kitchen/data'
