# frozen_string_literal: true

# The platforms the cookbook supports (metadata.rb), as fauxhai knows them.
PLATFORMS = [%w(debian 12), %w(ubuntu 22.04), %w(ubuntu 24.04)].freeze
