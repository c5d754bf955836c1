package fsutil

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// NotRegularError reports a path that is not a regular file (a directory,
// a FIFO, a device): influx-py reads only regular files, since opening a
// FIFO blocks until someone writes to it and reading a device may never
// end.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	what := "not a regular file"
	switch t := e.Mode.Type(); {
	case t&fs.ModeDir != 0:
		what = "a directory, not a file"
	case t&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO), not a regular file"
	case t&fs.ModeDevice != 0, t&fs.ModeCharDevice != 0:
		what = "a device, not a regular file"
	case t&fs.ModeSocket != 0:
		what = "a socket, not a regular file"
	}
	return fmt.Sprintf("%s is %s", e.Path, what)
}

// OpenRegular opens a regular file for reading (following symbolic links)
// and refuses anything else without blocking on it.
func OpenRegular(p string) (*os.File, fs.FileInfo, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, &NotRegularError{Path: p, Mode: fi.Mode()}
	}
	// Non-blocking, in case a FIFO took the file's place since the stat.
	f, err := os.OpenFile(p, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err = f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &NotRegularError{Path: p, Mode: fi.Mode()}
	}
	return f, fi, nil
}

// ReadRegular reads a whole regular file, refusing anything else (see
// OpenRegular) and anything larger than limit bytes (0: no limit).
func ReadRegular(p string, limit int64) ([]byte, error) {
	f, fi, err := OpenRegular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if limit > 0 && fi.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d influx-py reads", p, fi.Size(), limit)
	}
	r := io.Reader(f)
	if limit > 0 {
		r = io.LimitReader(f, limit+1)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if limit > 0 && int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is more than the %d bytes influx-py reads", p, limit)
	}
	return data, nil
}
