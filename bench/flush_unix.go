//go:build unix

package main

import "syscall"

func flushDisks() { syscall.Sync() }
