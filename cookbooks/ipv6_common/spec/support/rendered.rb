# frozen_string_literal: true

# The text a template of the run would write, as stripped lines, for
# expectations on specific lines and on absences:
#
#   expect(rendered_lines('/etc/haproxy/haproxy.cfg')).to include('maxconn 4096')
module Rendered
  def rendered_lines(path, run = chef_run)
    ChefSpec::Renderer.new(run, run.template(path)).content.lines.map(&:strip)
  end
end

RSpec.configure { |config| config.include Rendered }
