# frozen_string_literal: true

require 'psych'
require_relative 'errors'
require_relative 'validate'

module Ipv6Common
  class Site
    # A strict YAML reader for site files, event by event so that time and
    # memory stay proportional to the text: one document, no aliases, no
    # merge keys, no tags beyond the core ones, no duplicate keys. Scalars are
    # resolved by the YAML 1.1 rules PyYAML applies (plus 1e3 as a float);
    # dates stay strings. Mapping keys are the key's text. edge_verify.site
    # reads a file into the same data, with the same problems.
    module Yaml
      BOOL = /\A(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\z/.freeze
      TRUE = %w(yes Yes YES true True TRUE on On ON).freeze
      NULL = /\A(?:~|null|Null|NULL|)\z/.freeze
      INT = /\A(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\z/.freeze
      FLOAT = /\A(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|
                 [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|
                 [-+]?[0-9][0-9_]*[eE][-+]?[0-9]+)\z/x.freeze
      CORE = 'tag:yaml.org,2002:'
      # What YAML does not allow in a stream (outside escapes).
      CONTROL = /[^\t\n\r\u0020-\u007e\u0085\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/.freeze

      module_function

      # The data of the file at path, or ConfigError with its one problem.
      def read(path)
        text = read_text(path)
        unless text.valid_encoding?
          offset = 0
          text.each_char { |c| c.valid_encoding? ? offset += c.bytesize : break }
          raise_problem('not_utf8', path, offset: offset)
        end
        load(text, path)
      end

      def read_text(path)
        raise_problem('directory', path) if File.directory?(path)
        File.binread(path).force_encoding(Encoding::UTF_8)
      rescue Errno::ENOENT, Errno::ENOTDIR
        raise_problem('missing', path)
      rescue Errno::EACCES
        raise_problem('denied', path)
      rescue Errno::EISDIR
        raise_problem('directory', path)
      rescue SystemCallError, IOError => e
        raise_problem('io', path, reason: e.message)
      end

      # The data of a YAML text; file names it in messages.
      def load(text, file)
        text = text.delete_prefix("\uFEFF")
        control(text, file)
        handler = Builder.new(file)
        begin
          Psych::Parser.new(handler).parse(text, file)
        rescue Psych::SyntaxError => e
          problem = e.context ? "#{e.problem}, #{e.context} that starts there" : e.problem.to_s
          raise_problem('syntax', file, line: e.line, column: e.column, problem: problem)
        end
        raise_problem('empty', file) unless handler.documents.positive?
        handler.root
      end

      def control(text, file)
        offset = text.index(CONTROL)
        return unless offset

        before = text[0, offset]
        line = before.count("\n") + 1
        column = offset - (before.rindex("\n") || -1)
        raise_problem('control', file, char: format('U+%04X', text[offset].ord), line: line, column: column)
      end

      def raise_problem(kind, file, **vars)
        raise ConfigError, problem(kind, file, **vars)
      end

      # The Problem (path '.') of one kind of x-file-problems.
      def problem(kind, file, **vars)
        code, found, fix = Validate::FILE_PROBLEMS.fetch(kind)
        vars = vars.merge(file: file)
        Validate.problem('.', code, file: file, found: Validate.render(found, vars), fix: Validate.render(fix, vars))
      end

      # Scalar text to the value YAML 1.1 reads (PyYAML's SafeLoader rules).
      def scalar(value, tag, plain)
        tag = nil if tag == '!'
        kind = if tag then tag.delete_prefix(CORE)
               elsif !plain then 'str'
               elsif BOOL.match?(value) then 'bool'
               elsif INT.match?(value) then 'int'
               elsif FLOAT.match?(value) then 'float'
               elsif NULL.match?(value) then 'null'
               elsif value == '<<' then 'merge'
               else 'str'
               end
        construct(kind, value)
      end

      def construct(kind, value)
        case kind
        when 'str' then value
        when 'bool' then TRUE.include?(value)
        when 'null' then nil
        when 'int' then int(value)
        when 'float' then float(value)
        else throw :refused, [kind == 'merge' ? 'merge' : 'tag', kind]
        end
      end

      def sign(text)
        text = text.delete('_')
        return [-1, text[1..]] if text.start_with?('-')

        [1, text.delete_prefix('+')]
      end

      def int(value)
        s, text = sign(value)
        s * if text == '0' then 0
            elsif text.start_with?('0b') then text[2..].to_i(2)
            elsif text.start_with?('0x') then text[2..].to_i(16)
            elsif text.start_with?('0') then text.to_i(8)
            elsif text.include?(':') then sexagesimal(text, &:to_i)
            else text.to_i
            end
      end

      def float(value)
        s, text = sign(value.downcase)
        s * if text == '.inf' then Float::INFINITY
            elsif text == '.nan' then Float::NAN
            elsif text.include?(':') then sexagesimal(text) { |d| Float(d.sub(/\.\z/, '.0')) }
            else Float(text.sub(/\A\./, '0.').sub(/\.(?=[eE]|\z)/, '.0'))
            end
      end

      def sexagesimal(text)
        text.split(':').reduce(0) { |sum, digits| (sum * 60) + yield(digits) }
      end

      # Builds plain Hashes, Arrays and scalars from parser events.
      class Builder < Psych::Handler
        attr_reader :root, :documents

        Frame = Struct.new(:value, :path, :key, :key_line, :key_column, :lines)

        def initialize(file)
          super()
          @file = file
          @stack = []
          @documents = 0
          @line = @column = 0
        end

        def event_location(start_line, start_column, _end_line, _end_column)
          @line = start_line + 1
          @column = start_column + 1
        end

        def start_document(_version, _tag_directives, _implicit)
          @documents += 1
          refuse('documents') if @documents > 1
        end

        def alias(_anchor)
          refuse('alias')
        end

        def scalar(value, _anchor, tag, plain, _quoted, _style)
          frame = @stack.last
          return key(frame, value, tag, plain) if frame && frame.value.is_a?(Hash) && frame.key.nil?

          value = catch(:refused) { return add(Yaml.scalar(value, tag, plain)) }
          refuse(value[0], tag: tag)
        end

        def start_mapping(_anchor, tag, _implicit, _style)
          start({}, tag, 'map')
        end

        def start_sequence(_anchor, tag, _implicit, _style)
          start([], tag, 'seq')
        end

        def end_mapping
          finish
        end

        def end_sequence
          finish
        end

        private

        def start(value, tag, core)
          refuse('tag', tag: tag) unless tag.nil? || tag == '!' || tag == "#{CORE}#{core}"
          frame = @stack.last
          refuse('complex_key') if frame && frame.value.is_a?(Hash) && frame.key.nil?
          @stack << Frame.new(value, child_path, nil, nil, nil, {})
        end

        def finish
          add(@stack.pop.value)
        end

        def key(frame, text, tag, plain)
          refuse('merge') if plain && tag.nil? && text == '<<'
          refuse('tag', tag: tag) unless tag.nil? || tag == '!' || tag == "#{CORE}str"
          if (first = frame.lines[text])
            path = frame.path.empty? ? text : "#{frame.path}.#{text}"
            raise ConfigError, Validate.problem(path, 'duplicate_key', key: text, line: @line, column: @column, first_line: first)
          end
          frame.lines[text] = @line
          frame.key = text
        end

        def add(value)
          frame = @stack.last
          if frame.nil?
            @root = value
          elsif frame.value.is_a?(Hash)
            frame.value[frame.key] = value
            frame.key = nil
          else
            frame.value << value
          end
        end

        def child_path
          frame = @stack.last
          return '' if frame.nil?
          return "#{frame.path}[#{frame.value.size}]" if frame.value.is_a?(Array)

          frame.path.empty? ? frame.key : "#{frame.path}.#{frame.key}"
        end

        def refuse(kind, tag: nil)
          Yaml.raise_problem(kind, @file, line: @line, column: @column, tag: tag.to_s)
        end
      end
    end
  end
end
