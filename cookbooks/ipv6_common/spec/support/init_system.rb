# frozen_string_literal: true

require 'stringio'

# Chef chooses a service provider from the machine it runs on: systemd when
# PID 1 is systemd, otherwise Debian's init script (update-rc.d and
# /etc/init.d/NAME present). These helpers make a spec's machine look like
# either, so the provider resolution itself is what the spec checks:
#
#   before { pretend_init_system(:systemd, 'haproxy') }
#   expect(chef_run.service('haproxy').provider_for_action(:start)).to be_a(Chef::Provider::Service::Systemd)
module InitSystem
  def pretend_init_system(kind, *services)
    comm = kind == :systemd ? "systemd\n" : "process_api\n"
    allow(File).to receive(:exist?).and_call_original
    allow(File).to receive(:open).and_call_original
    allow(File).to receive(:exist?).with('/proc/1/comm').and_return(true)
    allow(File).to receive(:open).with('/proc/1/comm') { StringIO.new(comm) }
    %w(/usr/sbin/update-rc.d /usr/sbin/invoke-rc.d).each { |tool| allow(File).to receive(:exist?).with(tool).and_return(true) }
    services.each { |name| allow(File).to receive(:exist?).with("/etc/init.d/#{name}").and_return(true) }
  end
end

RSpec.configure { |config| config.include InitSystem }
