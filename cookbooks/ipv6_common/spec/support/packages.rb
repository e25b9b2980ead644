# frozen_string_literal: true

# A spec never reads the dpkg database of the machine it runs on: every package
# is missing unless the spec says otherwise, so `install_package` expectations
# see the package resource run.
RSpec.configure do |config|
  config.before do
    allow(Ipv6Common::Packages).to receive(:installed?).and_return(false) if defined?(Ipv6Common::Packages)
  end
end
