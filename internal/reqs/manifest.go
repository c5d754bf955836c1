package reqs

import (
	"errors"
	"fmt"
	"os"

	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// ParseManifest reads the Python requirements of an InfluxDB 3 plugin
// manifest: the array [dependencies].python, e.g.
//
//	[plugin]
//	name = "anomaly_alert"
//
//	[dependencies]
//	python = ["influx-stats>=0.3", "alertfmt~=1.1"]
//
// Other tables and keys are ignored; a manifest without the array declares
// nothing. Each Line carries the line of its string in the file.
func ParseManifest(path string) ([]Line, error) {
	m, err := readManifest(path)
	if err != nil {
		return nil, err
	}
	return m.lines, nil
}

type manifest struct {
	plugin string // [plugin].name, "" if absent
	lines  []Line
	needs  []need // [[dependencies.plugins]]
}

// need is one [[dependencies.plugins]] table: another plugin this one
// needs, which is not a Python requirement.
type need struct {
	Name, Version string
	line          int
}

func readManifest(path string) (*manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	return parseManifest(path, data)
}

// parseManifest parses the content of the manifest at path.
func parseManifest(path string, data []byte) (*manifest, error) {
	// Decode first: go-toml validates the whole document (duplicate keys,
	// types) and reports positions; the AST walk below only finds lines.
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return nil, &ParseError{File: path, Line: row, Err: fmt.Errorf("invalid TOML: %s", de.Error())}
		}
		return nil, &ParseError{File: path, Err: fmt.Errorf("invalid TOML: %w", err)}
	}
	m := &manifest{}
	if p, ok := doc["plugin"].(map[string]any); ok {
		m.plugin, _ = p["name"].(string)
	}
	deps, ok := doc["dependencies"]
	if !ok {
		return m, nil
	}
	lines := valueLines(data)
	depTable, ok := deps.(map[string]any)
	if !ok {
		return nil, &ParseError{File: path, Line: lines.key, Err: errors.New("dependencies must be a table")}
	}
	if raw, ok := depTable["plugins"]; ok {
		needs, err := pluginNeeds(raw, lines.plugins)
		if err != nil {
			return nil, &ParseError{File: path, Line: lines.key, Err: err}
		}
		m.needs = needs
	}
	py, ok := depTable["python"]
	if !ok {
		return m, nil
	}
	arr, ok := py.([]any)
	if !ok {
		return nil, &ParseError{File: path, Line: lines.key, Err: errors.New("dependencies.python must be an array of strings")}
	}
	for i, v := range arr {
		n := lines.key
		if i < len(lines.items) {
			n = lines.items[i]
		}
		s, ok := v.(string)
		if !ok {
			return nil, &ParseError{File: path, Line: n, Err: fmt.Errorf("dependencies.python[%d] must be a string, not %T", i, v)}
		}
		req, err := pep508.ParseRequirement(s)
		if err != nil {
			return nil, &ParseError{File: path, Line: n, Err: fmt.Errorf("invalid requirement: %w", err)}
		}
		m.lines = append(m.lines, Line{Req: req, Raw: s, File: path, LineNo: n, Source: where(path, n)})
	}
	return m, nil
}

// pythonLines is where dependencies.python sits in a manifest: the line of
// its key and of each array element (0 when not found).
type pythonLines struct {
	key     int
	items   []int
	plugins []int // the line of each [[dependencies.plugins]] header
}

// pluginNeeds reads [[dependencies.plugins]]: tables with a name and an
// optional version range (and an index_url influx-py has no use for).
func pluginNeeds(raw any, lines []int) ([]need, error) {
	arr, ok := raw.([]any)
	if !ok {
		if maps, ok := raw.([]map[string]any); ok {
			for _, m := range maps {
				arr = append(arr, m)
			}
		} else {
			return nil, errors.New("dependencies.plugins must be an array of tables")
		}
	}
	var out []need
	for i, v := range arr {
		t, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("dependencies.plugins[%d] must be a table", i)
		}
		n := need{}
		n.Name, _ = t["name"].(string)
		n.Version, _ = t["version"].(string)
		if n.Name == "" {
			return nil, fmt.Errorf("dependencies.plugins[%d] has no name", i)
		}
		if i < len(lines) {
			n.line = lines[i]
		}
		out = append(out, n)
	}
	return out, nil
}

// valueLines finds dependencies.python in the syntax tree, written as
// python under [dependencies], as a dotted key dependencies.python, or
// inside an inline table dependencies = { python = [...] }. The document
// has already been validated.
func valueLines(data []byte) pythonLines {
	var out pythonLines
	var p unstable.Parser
	p.Reset(data)
	var table []string
	line := func(n *unstable.Node) int {
		if n.Raw.Length == 0 && n.Raw.Offset == 0 {
			return 0
		}
		return p.Shape(n.Raw).Start.Line
	}
	// visit looks at a key-value whose full key is prefix + its own key.
	var visit func(kv *unstable.Node, prefix []string)
	visit = func(kv *unstable.Node, prefix []string) {
		key := append([]string(nil), prefix...)
		it := kv.Key()
		var last *unstable.Node
		for it.Next() {
			last = it.Node()
			key = append(key, string(last.Data))
		}
		v := kv.Value()
		switch {
		case len(key) == 2 && key[0] == "dependencies" && key[1] == "python":
			out.key = line(v)
			if out.key == 0 && last != nil {
				out.key = line(last)
			}
			if v.Kind == unstable.Array {
				ch := v.Children()
				for ch.Next() {
					out.items = append(out.items, line(ch.Node()))
				}
			}
		case len(key) == 1 && key[0] == "dependencies" && v.Kind == unstable.InlineTable:
			ch := v.Children()
			for ch.Next() {
				visit(ch.Node(), key)
			}
		case len(key) == 1 && key[0] == "dependencies" && last != nil:
			out.key = line(last)
		}
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = table[:0]
			it := e.Key()
			for it.Next() {
				table = append(table, string(it.Node().Data))
			}
			if e.Kind == unstable.ArrayTable && len(table) == 2 && table[0] == "dependencies" && table[1] == "plugins" {
				if k := e.Key(); k.Next() {
					out.plugins = append(out.plugins, line(k.Node()))
				}
			}
			if len(table) == 1 && table[0] == "dependencies" && out.key == 0 {
				if k := e.Key(); k.Next() {
					out.key = line(k.Node())
				}
			}
		case unstable.KeyValue:
			visit(e, table)
		}
	}
	return out
}
