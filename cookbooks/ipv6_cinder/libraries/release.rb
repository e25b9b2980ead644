# frozen_string_literal: true

# Plain Ruby, no Chef: what Cinder calls its iSCSI/NVMe-oF target options in
# each release, and which address form each target helper needs. Chef loads
# ipv6_common's libraries first; plain RSpec requires both (spec/spec_helper.rb).
module Ipv6Cinder
  # The option names of one release family and what its code does with them.
  #   address    primary portal address (StrOpt; Cinder builds "ADDRESS:PORT")
  #   secondary  further portal addresses (ListOpt)
  #   port, helper, protocol  the other target options
  #   brackets   whether Cinder itself brackets an IPv6 portal (volume_utils.sanitize_host,
  #              from 14.0.2 on; a family that includes earlier point releases counts as false)
  Family = Struct.new(:name, :address, :secondary, :port, :helper, :protocol, :brackets, keyword_init: true)

  module Release
    PIKE = Family.new(name: 'pike', address: 'iscsi_ip_address', secondary: 'iscsi_secondary_ip_addresses',
                      port: 'iscsi_port', helper: 'iscsi_helper', protocol: 'iscsi_protocol', brackets: false).freeze
    # Queens renamed the iscsi_* options to target_* (the old names stayed as
    # deprecated aliases); Stein removed the aliases.
    QUEENS = Family.new(name: 'queens', address: 'target_ip_address', secondary: 'iscsi_secondary_ip_addresses',
                        port: 'target_port', helper: 'target_helper', protocol: 'target_protocol', brackets: false).freeze
    TRAIN = Family.new(**QUEENS.to_h, name: 'train', brackets: true).freeze
    # 22.0 (2023.1) renamed the secondary option, as NVMe-oF uses it too.
    ANTELOPE = Family.new(**TRAIN.to_h, name: 'antelope', secondary: 'target_secondary_ip_addresses').freeze

    # Release => [family, first major version of the cinder package].
    RELEASES = {
      'pike' => [PIKE, 11], 'queens' => [QUEENS, 12], 'rocky' => [QUEENS, 13], 'stein' => [QUEENS, 14],
      'train' => [TRAIN, 15], 'ussuri' => [TRAIN, 16], 'victoria' => [TRAIN, 17], 'wallaby' => [TRAIN, 18],
      'xena' => [TRAIN, 19], 'yoga' => [TRAIN, 20], 'zed' => [TRAIN, 21],
      'antelope' => [ANTELOPE, 22], 'bobcat' => [ANTELOPE, 23], 'caracal' => [ANTELOPE, 24],
      'dalmatian' => [ANTELOPE, 25], 'epoxy' => [ANTELOPE, 26]
    }.freeze

    # Where each name that some release does not have went, for the messages.
    HISTORY = {
      'iscsi_ip_address' => 'renamed target_ip_address in queens, alias removed in stein',
      'iscsi_port' => 'renamed target_port in queens, alias removed in stein',
      'iscsi_helper' => 'renamed target_helper in queens, alias removed in stein',
      'iscsi_protocol' => 'renamed target_protocol in queens, alias removed in stein',
      'target_ip_address' => 'introduced in queens; pike calls it iscsi_ip_address',
      'target_port' => 'introduced in queens; pike calls it iscsi_port',
      'target_helper' => 'introduced in queens; pike calls it iscsi_helper',
      'target_protocol' => 'introduced in queens; pike calls it iscsi_protocol',
      'iscsi_secondary_ip_addresses' => 'renamed target_secondary_ip_addresses in antelope',
      'target_secondary_ip_addresses' => 'introduced in antelope; earlier releases call it iscsi_secondary_ip_addresses',
    }.freeze
    ROLES = %i(address secondary port helper protocol).freeze

    # Cinder's target_helper values; the site's cxtadm is the Chelsio target,
    # which Cinder selects as iscsictl.
    HELPERS = {
      'tgtadm' => 'tgtadm', 'lioadm' => 'lioadm', 'ietadm' => 'ietadm', 'scstadmin' => 'scstadmin',
      'iscsictl' => 'iscsictl', 'cxtadm' => 'iscsictl', 'nvmet' => 'nvmet'
    }.freeze
    # Debian package that provides each helper's target daemon or tool.
    PACKAGES = {
      'tgtadm' => 'tgt', 'lioadm' => 'targetcli-fb', 'ietadm' => 'iscsitarget', 'scstadmin' => 'scstadmin',
      'iscsictl' => 'cxgb4-target', 'nvmet' => 'nvmetcli'
    }.freeze

    module_function

    def releases
      RELEASES.keys
    end

    # The Family of a release, or ConfigError naming the site key.
    def family(release, path: 'services.cinder.release')
      entry = RELEASES[release.to_s]
      return entry.first if entry

      raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
        path, 'bad_choice', "#{path}: #{release.inspect} is not a Cinder release this cookbook knows; " \
                            "use one of #{releases.join(', ')}"
      )
    end

    # The first major version of the python3-cinder package of a release (zed => 21).
    def major_version(release)
      family(release)
      RELEASES[release.to_s].last
    end

    # Every target option name any release uses.
    def all_option_names
      RELEASES.values.flat_map { |f, _| ROLES.map { |role| f[role] } }.uniq
    end

    # Target option names of other releases that this release does not have:
    # Cinder ignores them without a word, so a file that holds one is wrong.
    def foreign_option_names(release)
      own = ROLES.map { |role| family(release)[role] }
      all_option_names - own
    end

    # Raises ConfigError when name is a target option this release does not
    # have; the message names the option the release uses instead.
    def check_option!(release, name, path:)
      fam = family(release)
      return unless foreign_option_names(release).include?(name.to_s)

      role = ROLES.find { |r| RELEASES.values.any? { |f, _| f[r] == name.to_s } }
      found = if deprecated_alias?(release, name)
                "Cinder #{release} reads #{name} only as a deprecated alias (#{HISTORY.fetch(name.to_s)})"
              else
                "Cinder #{release} has no option #{name} (#{HISTORY.fetch(name.to_s)}), it would be ignored " \
                  "without a warning#{role == :address ? ' and the portal would fall back to my_ip' : ''}"
              end
      raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
        path, 'foreign_option',
        "#{path}: #{found}; write #{fam[role]} instead, or set services.cinder.release to the release this host runs"
      )
    end

    # Queens and Rocky still read the iscsi_* names that Queens renamed;
    # the releases that renamed the secondary option read its old name.
    def deprecated_alias?(release, name)
      fam = family(release)
      return fam == ANTELOPE if name.to_s == PIKE.secondary

      fam == QUEENS && %w(queens rocky).include?(release.to_s) && PIKE.to_h.values_at(*ROLES).include?(name.to_s)
    end

    # Cinder's name for a site helper, or ConfigError naming the site key.
    def cinder_helper(helper, path: 'services.cinder.target_helper')
      HELPERS.fetch(helper.to_s) do
        raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
          path, 'bad_choice', "#{path}: #{helper.inspect} is not a Cinder target helper; use one of #{HELPERS.keys.join(', ')}"
        )
      end
    end

    def package(helper)
      PACKAGES.fetch(cinder_helper(helper))
    end

    def nvme?(helper)
      cinder_helper(helper) == 'nvmet'
    end

    # Raises ConfigError when the helper cannot serve an IPv6 portal in this
    # release, whatever form the address takes.
    #  - iscsictl (Chelsio cxt) brackets the address itself, so it must be
    #    bare, but before train Cinder hands the initiator "ADDRESS:PORT"
    #    without brackets: no value works.
    #  - nvmet up to zed writes adrfam ipv4 into the port and splits the
    #    location on ':' (read in 21.3.1).
    def check_helper!(release, helper, path: 'services.cinder.target_helper')
      fam = family(release)
      name = cinder_helper(helper, path: path)
      reason =
        if name == 'iscsictl' && !fam.brackets
          "Cinder #{release} does not bracket the portal it hands to iscsiadm and the Chelsio target brackets " \
          'the address itself, so no form of an IPv6 address works'
        elsif name == 'nvmet' && major_version(release) <= 21
          "Cinder #{release}'s nvmet target writes adrfam ipv4 and splits its location on ':', so it cannot serve IPv6"
        end
      return unless reason

      raise Ipv6Common::ConfigError, Ipv6Common::Problem.new(
        path, 'unsupported', "#{path}: #{helper} on #{release}: #{reason}; use tgtadm or lioadm, or a later release"
      )
    end

    # The cinder.conf target options for a release and helper: a Hash of
    # option name => value, the address in the form the helper needs.
    def target_options(release:, helper:, address:, secondary: [], port: 3260)
      fam = family(release)
      check_helper!(release, helper)
      name = cinder_helper(helper)
      options = {
        fam.helper => name,
        fam.protocol => nvme?(helper) ? 'nvmet_tcp' : 'iscsi',
        fam.address => address.cinder_target(name),
        fam.port => Integer(port),
      }
      options[fam.secondary] = secondary.map { |a| a.cinder_target(name) }.join(',') unless secondary.empty?
      options
    end
  end
end
