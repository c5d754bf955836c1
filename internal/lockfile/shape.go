package lockfile

import (
	"bytes"
	"fmt"
	"strings"
)

// The TOML reader checks each new key against its siblings one by one, so
// a table with N keys or subtables costs N² to read: a 4 MB lock of 300,000
// small [tool.*] tables would take minutes. Real locks have a few dozen
// keys per table (many packages are an array of tables, which costs
// nothing extra). shape bounds what one table may hold, in one linear pass
// over the text, before the reader sees it.
const maxSiblings = 5000

// ShapeError refuses a lock the TOML reader could not read in reasonable
// time.
type ShapeError struct {
	File  string
	Line  int
	Table string
	Count int
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("%s:%d: [%s] has more than %d keys or tables; influx-py reads at most %d per table", fileLabel(e.File), e.Line, e.Table, maxSiblings, maxSiblings)
}

// checkShape counts, approximately but never below the truth for the
// cases that matter, the children of each table: key lines under a
// header, headers under a common parent, and the entries of an inline
// table on one line.
func checkShape(filename string, data []byte) error {
	children := map[string]int{}
	current := ""
	element := 0    // tells elements of an array of tables apart
	arrayName := "" // the last [[...]] header: tables below it are its element's

	count := func(table string, line, n int) error {
		children[table] += n
		if children[table] > maxSiblings {
			return &ShapeError{File: filename, Line: line, Table: table, Count: children[table]}
		}
		return nil
	}
	for i, raw := range bytes.Split(data, []byte("\n")) {
		line := bytes.TrimSpace(raw)
		n := i + 1
		switch {
		case len(line) == 0 || line[0] == '#':
			continue
		case bytes.HasPrefix(line, []byte("[[")):
			element++
			arrayName = headerName(line[2:])
			current = fmt.Sprintf("%s#%d", arrayName, element)
			continue
		case line[0] == '[':
			name := headerName(line[1:])
			key, table := parentOf(name), name
			if arrayName != "" && strings.HasPrefix(name, arrayName+".") {
				key = fmt.Sprintf("%s#%d", key, element)
				table = fmt.Sprintf("%s#%d", name, element)
			}
			if err := count("parent of "+key, n, 1); err != nil {
				err.(*ShapeError).Table = parentOf(name)
				return err
			}
			current = table
			continue
		}
		if err := count(current, n, 1); err != nil {
			err.(*ShapeError).Table = tableOf(current)
			return err
		}
		// Inline tables and arrays on the line: each comma is one more
		// sibling at most.
		if c := bytes.Count(line, []byte(",")); c > 0 {
			if err := count(current+" (inline)", n, c); err != nil {
				err.(*ShapeError).Table = tableOf(current)
				return err
			}
		}
	}
	return nil
}

// headerName is the table name of a header line (after its opening
// bracket), without the closing bracket or a comment.
func headerName(rest []byte) string {
	if i := bytes.IndexByte(rest, ']'); i >= 0 {
		rest = rest[:i]
	}
	return string(bytes.TrimSpace(rest))
}

// parentOf drops the last dotted part of a table name (quotes respected).
func parentOf(name string) string {
	last, quote := -1, byte(0)
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '.':
			last = i
		}
	}
	if last < 0 {
		return ""
	}
	return name[:last]
}

// tableOf is the table name of a counting key, without its element number.
func tableOf(key string) string {
	if i := strings.LastIndexByte(key, '#'); i >= 0 {
		return key[:i]
	}
	return key
}
