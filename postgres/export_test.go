package postgres

// Test helpers shared with the external test package.
var (
	TestURL     = testURL
	NewDatabase = newDatabase
	NewRole     = newRole
	DatabaseURL = databaseURL
	ServerURL   = serverURL
)
