package diagnose

// iisChecks returns the checks of this file. Owned by helper A (IIS001-IIS010), who replaces
// this body with the real checks; the engine (helper F) only calls it.
func iisChecks() []*Check { return nil }
