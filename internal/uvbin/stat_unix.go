//go:build unix

package uvbin

import "golang.org/x/sys/unix"

func fileKey(path string) (statKey, bool) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return statKey{}, false
	}
	return statKey{
		Size:    st.Size,
		MtimeNS: st.Mtim.Nano(),
		CtimeNS: st.Ctim.Nano(),
		Ino:     uint64(st.Ino),
		Dev:     uint64(st.Dev),
	}, true
}
