// Package examples holds the example plugin folder that
// `influx-py sync --plugin-dir examples/plugins` syncs offline, and the
// sources of the small packages it depends on. The tests keep the committed
// wheels and pylock.toml identical to what wheelbuild makes from src/, and
// run the plugin against its locked dependencies.
//
// After changing anything under src/, run `go test ./examples -update`.
package examples
