package run

import (
	"sort"
	"strings"
)

// Env builds a child's environment from the parent's (as os.Environ gives it)
// and a set of overrides. It is a pure function so that what a child sees can
// be tested without starting one.
//
// Variables that would make a child act on something other than what
// influx-py chose are removed: an activated venv (VIRTUAL_ENV), a foreign
// standard library (PYTHONHOME, PYTHONPATH), user site-packages, and every
// PIP_* and UV_* setting (an inherited PIP_FIND_LINKS or UV_INDEX_URL would
// change what gets installed). Overrides are applied last; an override whose
// value is empty removes the variable.
func Env(parent []string, overrides map[string]string) []string {
	vars := make(map[string]string, len(parent))
	for _, kv := range parent {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || stripped(k) {
			continue
		}
		vars[k] = v
	}
	for k, v := range overrides {
		if v == "" {
			delete(vars, k)
			continue
		}
		vars[k] = v
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func stripped(k string) bool {
	switch strings.ToUpper(k) {
	case "VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONUSERBASE",
		"PYTHONNOUSERSITE", "PYTHONEXECUTABLE", "__PYVENV_LAUNCHER__", "CONDA_PREFIX":
		return true
	}
	u := strings.ToUpper(k)
	return strings.HasPrefix(u, "PIP_") || strings.HasPrefix(u, "UV_")
}

// PythonEnv is the override set every Python child of influx-py gets: no user
// site-packages, no .pyc litter decided by the parent, UTF-8 I/O so that
// output can be parsed.
func PythonEnv() map[string]string {
	return map[string]string{
		"PYTHONNOUSERSITE":              "1",
		"PYTHONIOENCODING":              "utf-8",
		"PYTHONUTF8":                    "1",
		"PIP_NO_INPUT":                  "1",
		"PIP_DISABLE_PIP_VERSION_CHECK": "1",
	}
}
