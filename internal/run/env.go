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
// influx-py chose are removed: an activated venv (VIRTUAL_ENV), every
// PYTHON* setting (a foreign standard library, user site-packages, warnings
// turned into errors, an interactive prompt), and every PIP_* and UV_* setting (an inherited PIP_FIND_LINKS or UV_INDEX_URL would
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
	u := strings.ToUpper(k)
	switch u {
	case "VIRTUAL_ENV", "__PYVENV_LAUNCHER__", "CONDA_PREFIX":
		return true
	}
	// Every PYTHON* variable changes how an interpreter starts or behaves
	// (PYTHONWARNINGS=error fails pip on a deprecation, PYTHONINSPECT=1
	// leaves it waiting at a prompt): none is inherited, only those
	// PythonEnv sets on purpose.
	return strings.HasPrefix(u, "PYTHON") || strings.HasPrefix(u, "PIP_") || strings.HasPrefix(u, "UV_")
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

// GitEnv is the override set of a git child: the caller's repository
// settings (which would point git at another repository or object store)
// are removed, the system configuration is not read, and git never
// prompts for credentials.
func GitEnv() map[string]string {
	m := map[string]string{"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1"}
	for _, k := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
		"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS",
		"GIT_CONFIG_COUNT", "GIT_CONFIG_GLOBAL", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM"} {
		m[k] = ""
	}
	return m
}
