package client

import (
	"errors"
	"io/fs"
	"os"
	"strings"
)

// ParseIOReg and ParseRegQuery expose the platform parsers to tests.
var (
	ParseIOReg    = parseIOReg
	ParseRegQuery = parseRegQuery
)

// MachineIDFor returns the machine ID source for goos over fake files and
// command outputs (keyed by the command name), with the fallback's config
// directory at configDir.
func MachineIDFor(goos string, files, commands map[string]string, configDir string) func() (string, error) {
	s := machineSource{
		goos: goos,
		readFile: func(name string) ([]byte, error) {
			if b, ok := files[name]; ok {
				return []byte(b), nil
			}
			if configDir != "" && strings.HasPrefix(name, configDir) {
				return os.ReadFile(name)
			}
			return nil, fs.ErrNotExist
		},
		command: func(name string, args ...string) ([]byte, error) {
			if out, ok := commands[name]; ok {
				return []byte(out), nil
			}
			return nil, errors.New(name + ": not found")
		},
		configDir: func() (string, error) {
			if configDir == "" {
				return "", fs.ErrNotExist
			}
			return configDir, nil
		},
	}
	return s.machineID
}
