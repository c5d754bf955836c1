package engine

// Reporter shows how far a long step of a command has got, for a person at
// a terminal (the cli draws it on stderr). The engine reports phases (a
// fetch, a venv's creation, an install, a resolution), the item each is
// at, and the bytes of a download. A nil Reporter shows nothing.
type Reporter interface {
	// Start begins a phase of total items (0 when not known).
	Start(phase string, total int)
	// Item says the phase's next item is under way.
	Item(name string)
	// Bytes is the progress of the current item's download.
	Bytes(done, total int64)
	// Stop ends the phase.
	Stop()
}

// phase starts a phase and returns its end; both do nothing without a
// Reporter.
func (e *Engine) phase(name string, total int) func() {
	if e.Report == nil {
		return func() {}
	}
	e.Report.Start(name, total)
	return e.Report.Stop
}

// item reports the current phase's next item.
func (e *Engine) item(name string) {
	if e.Report != nil {
		e.Report.Item(name)
	}
}
