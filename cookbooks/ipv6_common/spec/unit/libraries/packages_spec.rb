# frozen_string_literal: true

require 'spec_helper'

describe Ipv6Common::Packages do
  describe '.installed_from?' do
    it 'is true for an installed package and no pin' do
      expect(described_class.installed_from?(0, "ii \t2.6.12-1+deb12u1")).to be true
    end

    it 'is true when the installed version is the pinned one' do
      expect(described_class.installed_from?(0, "ii \t2.6.12-1+deb12u1", '2.6.12-1+deb12u1')).to be true
    end

    it 'is false for another version than the pinned one' do
      expect(described_class.installed_from?(0, "ii \t2.6.12-1", '2.6.12-1+deb12u1')).to be false
    end

    it 'is false for a package removed with its configuration left' do
      expect(described_class.installed_from?(0, "rc \t2.6.12-1")).to be false
    end

    it 'is false for a half-installed package' do
      expect(described_class.installed_from?(0, "iU \t2.6.12-1")).to be false
    end

    it 'is false when dpkg knows no such package' do
      expect(described_class.installed_from?(1, '')).to be false
    end
  end
end
