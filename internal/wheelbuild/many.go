package wheelbuild

import "fmt"

// Many returns n distinct importable packages, pkg01 .. pkgNN (the number is
// zero-padded to at least two digits), all at version. Each has one module,
// pkgNN/__init__.py, defining NAME, VERSION and ident(), which returns
// "pkgNN==version", so a test can tell which version is installed by
// importing it. Building Many(n, "1.0") and Many(n, "2.0") gives two
// generations of the same projects for upgrade tests.
func Many(n int, version string) []Spec {
	width := len(fmt.Sprint(n))
	if width < 2 {
		width = 2
	}
	specs := make([]Spec, 0, n)
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("pkg%0*d", width, i)
		src := fmt.Sprintf(`"""Test package %[1]s, made by wheelbuild.Many."""

NAME = %[1]q
VERSION = %[2]q


def ident():
    return NAME + "==" + VERSION
`, name, version)
		specs = append(specs, Spec{
			Name:           name,
			Version:        version,
			Summary:        fmt.Sprintf("test package %d of %d", i, n),
			RequiresPython: ">=3.8",
			Files:          map[string][]byte{name + "/__init__.py": []byte(src)},
		})
	}
	return specs
}
