# frozen_string_literal: true

require_relative 'errors'

module Ipv6Common
  # One configuration file per daemon, written once at the end of the run from
  # one template. The resource that owns the file declares it with
  # `config_file`; every resource that contributes a part of it (a frontend, a
  # listener, a vhost) adds its section with `config_section`. The staged file
  # is checked with the daemon's own checker (`verify`) before it replaces the
  # live one, and a change notifies the daemon (reload by default). The daemon
  # is started at the end of the run, after the file is written.
  #
  # Use it from a custom resource's actions:
  #
  #   action_class { include Ipv6Common::ConfigFile }
  #
  #   action :create do                       # in the resource that owns the file
  #     config_file new_resource.path, cookbook: 'ipv6_rabbitmq', source: 'rabbitmq.conf.erb',
  #                 verify: 'rabbitmq-diagnostics -q check_config %{path}', service: 'rabbitmq-server',
  #                 variables: { global: {...} }, collections: [:listeners]
  #   end
  #
  #   action :create do                       # in a resource that adds a section
  #     config_section '/etc/rabbitmq/rabbitmq.conf', 'listeners', new_resource.name, { 'port' => 5672 }
  #   end
  #
  # The template sees each variable as @name and each collection as a Hash
  # name => section; render collections sorted so the file only changes when
  # the data does. Sections are rebuilt on every run from what the run
  # declares, so a section whose resource is gone is gone from the file.
  module ConfigFile
    # start: false with notify: nil leaves the daemon alone (neither started nor
    # restarted), for a daemon that cannot run until something else exists.
    def config_file(path, cookbook:, source:, verify:, service:, notify: :reload, owner: 'root', group: 'root',
                    mode: '0644', variables: {}, collections: [], sensitive: false, start: true)
      with_run_context :root do
        edit_resource(:template, path) do
          cookbook cookbook
          source source
          owner owner
          group group
          mode mode
          variables.each { |name, value| self.variables[name.to_sym] = value }
          collections.each { |name| self.variables[name.to_sym] ||= {} }
          verify verify
          sensitive sensitive
          notifies notify, "service[#{service}]", :delayed if notify
          action :nothing
          delayed_action :create
        end

        # Declared after the template, so on the delayed queue the file is
        # written before the daemon is started (a first run never starts the
        # package's stock configuration). A service the recipe declared
        # (e.g. with action :enable) keeps its action; one it did not is
        # declared with none.
        daemon = find_resource(:service, service) do
          supports status: true, reload: true, restart: true
          action :nothing
        end
        daemon.delayed_action :start if start
      end
    end

    def config_section(path, collection, name, value)
      with_run_context :root do
        template = find_resource(:template, path)
        unless template
          raise ConfigError, Problem.new(name.to_s, 'missing',
                                         "#{name}: no configuration file #{path} is declared in this run; " \
                                         'declare the resource that owns the file before its sections')
        end
        sections = (template.variables[collection.to_sym] ||= {})
        sections[name.to_s] = value
      end
    end
  end
end
